/* duet-bench-server.h: the server side of the sync benchmarks, run in a
 * child process so that its memory and CPU are not the client's
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* In the child: serves @bytes as the answer to the first /sync (no since),
 * holds every later /sync open, answers anything else 404, prints
 * "PORT <n>" on stdout and runs until stdin closes.  Returns the exit code. */
int          duet_bench_serve_static   (GBytes       *bytes);

/* In the parent: runs `argv` (a child in a serving mode) and waits for its
 * PORT line.  Returns the child (kill it with g_subprocess_force_exit) and
 * sets @url. */
GSubprocess *duet_bench_spawn_server   (const char * const *argv,
                                        char              **url,
                                        GError            **error);

/* Runs `argv` to the end and returns its stdout, which must be one line of
 * "key=value" pairs, as a table (NULL on failure). */
GHashTable  *duet_bench_run_child      (const char * const *argv,
                                        GError            **error);
double       duet_bench_figure         (GHashTable         *figures,
                                        const char         *key);

G_END_DECLS
