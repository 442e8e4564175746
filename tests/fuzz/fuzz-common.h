/* fuzz-common.h: what every libFuzzer target of Duet shares
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A target is one file defining LLVMFuzzerTestOneInput(); this header gives
 * it the prototype (clang's -Wmissing-prototypes wants one) and a one-time
 * set-up that makes every GLib warning and critical fatal, as the tests'
 * G_DEBUG=fatal-warnings does: hostile input that makes Duet warn is a
 * finding, not noise.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <glib.h>

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

static inline void
duet_fuzz_init (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL);
      g_once_init_leave (&initialized, 1);
    }
}

/* Runs what the last input queued (idle callbacks, notifications) so that
 * nothing piles up from one input to the next. */
static inline void
duet_fuzz_drain_main_context (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}
