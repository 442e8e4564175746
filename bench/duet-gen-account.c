/* duet-gen-account.c: writes a synthetic account's initial /sync response
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *   duet-gen-account [ROOMS [SEED]] > sync.json
 *
 * The same ROOMS and SEED give the same bytes (see duet-bench-account.h).
 */
#include "config.h"

#include <stdio.h>

#include "duet-bench-account.h"

int
main (int   argc,
      char *argv[])
{
  guint rooms = argc > 1 ? (guint) g_ascii_strtoull (argv[1], NULL, 10) : 1000;
  guint32 seed = argc > 2 ? (guint32) g_ascii_strtoull (argv[2], NULL, 10) : DUET_BENCH_DEFAULT_SEED;
  g_autoptr(GBytes) bytes = duet_bench_account_generate (rooms, seed);
  gsize size;
  const char *data = g_bytes_get_data (bytes, &size);

  if (fwrite (data, 1, size, stdout) != size)
    return 1;
  g_printerr ("%u rooms, seed %u: %.1f MB\n", rooms, seed, size / 1e6);
  return 0;
}
