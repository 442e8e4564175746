/* duet-json-error.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "duet-json-error.h"

G_DEFINE_QUARK (duet-json-error-quark, duet_json_error)
