/* duet-bench-account.h: synthetic accounts for the benchmarks
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define DUET_BENCH_SERVER_NAME "bench.example"
#define DUET_BENCH_OWN_USER "@me:bench.example"
#define DUET_BENCH_DEFAULT_SEED 8

/* The JSON text of an initial /sync response for an account of @n_rooms
 * rooms, the same bytes for the same @n_rooms and @seed:
 *  - a third of the rooms are DMs listed in m.direct (2 members, some with
 *    a bot), the others groups of 3 to 500 members (most small);
 *  - every joined room has its state (create, power levels, join rules,
 *    history visibility, name for groups, some encrypted), its members,
 *    20 timeline events (messages, a few edits and reactions), a read
 *    marker, a receipt and unread counts;
 *  - 1% of the joined rooms are tombstoned in favour of another room of
 *    the account, 1% of all rooms are invites, 2% left rooms.
 * Room i is "!r<i>:bench.example"; the partner of DM i is "@p<i>:bench.example". */
GBytes *duet_bench_account_generate        (guint        n_rooms,
                                            guint32      seed);

/* One room in @every is a DM (default 3: a third); 1 makes every room a
 * DM, for a contact list of (almost) as many people as rooms. */
void     duet_bench_account_set_dm_every   (guint        every);

/* Whether member events carry an avatar_url (default TRUE). */
void     duet_bench_account_set_avatars    (gboolean     avatars);

/* Whether every member of every room has an avatar of its own (default
 * FALSE: the URI is numbered per room, so most DM partners share a few). */
void     duet_bench_account_set_unique_avatars (gboolean unique);

/* Whether room @index of an account of @n_rooms rooms is a joined DM. */
gboolean duet_bench_account_is_joined_dm   (guint        n_rooms,
                                            guint32      seed,
                                            guint        index);

/* An incremental /sync response (token @next_batch) with one new message
 * from the partner of DM room @index at @ts. */
GBytes *duet_bench_account_new_message     (guint        index,
                                            const char  *next_batch,
                                            gint64       ts,
                                            const char  *body);

/* VmHWM and VmRSS of this process, in kB (0 when unknown). */
guint64  duet_bench_peak_rss_kb            (void);
guint64  duet_bench_rss_kb                 (void);
/* Resets VmHWM to the current RSS (Linux ≥ 4.0), so that the peak of the
 * measured span alone is read. */
void     duet_bench_reset_peak_rss         (void);

G_END_DECLS
