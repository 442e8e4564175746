/* fuzz-room-raw.c: a room's /sync entry read in place against the tree
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The streamed /sync reads each room's entry from its text
 * (_duet_room_apply_raw()); the tree reader (_duet_room_apply_joined() and
 * its siblings) is the reference.  For any body, both must take or refuse
 * the same entries and make the same rooms of them
 * (duet_test_compare_room_readers() asserts it).  Seeds: those of fuzz-sync.
 */
#include "config.h"

#include "duet-room-raw-test-utils.h"
#include "fuzz-common.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GBytes) bytes = NULL;

  duet_fuzz_init ();

  bytes = g_bytes_new_static (data, size);
  duet_test_compare_room_readers (bytes, "@alice:localhost");
  return 0;
}
