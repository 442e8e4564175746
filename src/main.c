/* main.c: the duet program
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "duet-application.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(DuetApplication) app = NULL;
  /* DUET_LOCALEDIR: translations from a build tree (BUILDDIR/po), for
   * running and testing Duet uninstalled. */
  const char *localedir = g_getenv ("DUET_LOCALEDIR");

  /* Before the command line is parsed, so that --help is translated too
   * (GTK sets the locale only later, at startup). */
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, localedir != NULL ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = duet_application_new (APPLICATION_ID, G_APPLICATION_DEFAULT_FLAGS);

  return g_application_run (G_APPLICATION (app), argc, argv);
}
