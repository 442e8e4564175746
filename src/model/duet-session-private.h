/* duet-session-private.h: what the session's sibling files share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "duet-session.h"

G_BEGIN_DECLS

/* State of the direct-chat operations (duet-session-chats.c): in-flight
 * creations per user and the like.  Created with the session, freed in its
 * dispose. */
typedef struct _DuetSessionChats DuetSessionChats;

DuetSessionChats *_duet_session_chats_new   (DuetSession      *session);
void              _duet_session_chats_free  (DuetSessionChats *chats);
DuetSessionChats *_duet_session_get_chats   (DuetSession      *self);

/* Our own user id (the client's). */
const char       *_duet_session_get_user_id (DuetSession      *self);

/* The rooms whose own invite from @inviter said is_direct (borrowed, in
 * no particular order), or NULL. */
GPtrArray        *_duet_session_get_direct_invites_from (DuetSession *self,
                                                        const char  *inviter);

/* Recomputes the contact list now (after a local change to a room that no
 * sync carried, e.g. a read marker); ingest does it by itself. */
void              _duet_session_update_contacts (DuetSession    *self);
/* The rooms of a cached start (duet_session_load_cache_async() reads and
 * takes them; a benchmark times this part alone). */
void              _duet_session_ingest_start (DuetSession   *self,
                                              DuetStoreStart *start);

G_END_DECLS
