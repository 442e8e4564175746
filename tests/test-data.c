/* test-data.c: the desktop integration files, the translations and the
 * Flatpak manifest, checked by the tools that distributions and Flathub use
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each subtest runs one tool on what the build made (desktop-file-validate,
 * appstreamcli, glib-compile-schemas, msgfmt, duetctl, meson install) and
 * then reads the result itself.  tests/meson.build passes the folders in
 * DUET_SOURCE_ROOT, DUET_BUILD_ROOT and DUET_INSTALL_*.
 */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/wait.h>

#define SCREENSHOT_URL_PREFIX \
  "https://raw.githubusercontent.com/duet-chat/duet/main/data/screenshots/"

/* --- helpers ------------------------------------------------------------ */

static char *
source_path (const char *first,
             ...)
{
  va_list args;
  g_autoptr(GPtrArray) parts = g_ptr_array_new ();
  const char *part;

  g_ptr_array_add (parts, (gpointer) g_getenv ("DUET_SOURCE_ROOT"));
  g_assert_nonnull (parts->pdata[0]);
  va_start (args, first);
  for (part = first; part != NULL; part = va_arg (args, const char *))
    g_ptr_array_add (parts, (gpointer) part);
  va_end (args);
  g_ptr_array_add (parts, NULL);
  return g_build_filenamev ((char **) parts->pdata);
}

static char *
build_path (const char *first,
            ...)
{
  va_list args;
  g_autoptr(GPtrArray) parts = g_ptr_array_new ();
  const char *part;

  g_ptr_array_add (parts, (gpointer) g_getenv ("DUET_BUILD_ROOT"));
  g_assert_nonnull (parts->pdata[0]);
  va_start (args, first);
  for (part = first; part != NULL; part = va_arg (args, const char *))
    g_ptr_array_add (parts, (gpointer) part);
  va_end (args);
  g_ptr_array_add (parts, NULL);
  return g_build_filenamev ((char **) parts->pdata);
}

/* The tools come from Debian packages that build-aux/install-deps.sh
 * installs: a missing one fails the test rather than skipping it. */
static char *
require_program (const char *name)
{
  char *path = g_find_program_in_path (name);

  if (path == NULL)
    g_test_message ("%s is not installed: run build-aux/install-deps.sh", name);
  g_assert_nonnull (path);
  return path;
}

/* Runs @argv (argv[0] looked up in PATH) with @env_changes applied to this
 * process's environment ("NAME=value" sets, "NAME" alone unsets); returns
 * the exit status, or -1 when the program did not exit normally. */
static int
run_tool (const char * const  *argv,
          const char * const  *env_changes,
          char               **out,
          char               **err)
{
  g_auto(GStrv) envp = g_get_environ ();
  g_autofree char *program = require_program (argv[0]);
  g_autoptr(GPtrArray) full_argv = g_ptr_array_new ();
  g_autofree char *stdout_text = NULL;
  g_autofree char *stderr_text = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *command = g_strjoinv (" ", (char **) argv);
  int wait_status = 0;

  for (gsize i = 0; env_changes != NULL && env_changes[i] != NULL; i++)
    {
      const char *equals = strchr (env_changes[i], '=');

      if (equals == NULL)
        {
          envp = g_environ_unsetenv (envp, env_changes[i]);
        }
      else
        {
          g_autofree char *name = g_strndup (env_changes[i], equals - env_changes[i]);

          envp = g_environ_setenv (envp, name, equals + 1, TRUE);
        }
    }

  g_ptr_array_add (full_argv, program);
  for (gsize i = 1; argv[i] != NULL; i++)
    g_ptr_array_add (full_argv, (gpointer) argv[i]);
  g_ptr_array_add (full_argv, NULL);

  g_spawn_sync (NULL, (char **) full_argv->pdata, envp, G_SPAWN_DEFAULT, NULL, NULL,
                &stdout_text, &stderr_text, &wait_status, &error);
  g_assert_no_error (error);

  g_test_message ("$ %s\n%s%s", command, stdout_text, stderr_text);
  if (out != NULL)
    *out = g_steal_pointer (&stdout_text);
  if (err != NULL)
    *err = g_steal_pointer (&stderr_text);

  return WIFEXITED (wait_status) ? WEXITSTATUS (wait_status) : -1;
}

static void
assert_file_exists (const char *path)
{
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    g_test_message ("missing: %s", path);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
}

static gboolean
strv_has_duplicates (const char * const *strv)
{
  for (gsize i = 0; strv[i] != NULL; i++)
    for (gsize j = i + 1; strv[j] != NULL; j++)
      if (g_str_equal (strv[i], strv[j]))
        return TRUE;
  return FALSE;
}

/* The languages in po/LINGUAS, one a line (# starts a comment). */
static GStrv
read_linguas (void)
{
  g_autofree char *path = source_path ("po", "LINGUAS", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) lines = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  lines = g_strsplit (contents, "\n", -1);
  for (gsize i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) words = NULL;

      if (lines[i][0] == '#')
        continue;
      words = g_strsplit_set (lines[i], " \t", -1);
      for (gsize j = 0; words[j] != NULL; j++)
        if (words[j][0] != '\0')
          g_strv_builder_add (builder, words[j]);
    }
  return g_strv_builder_end (builder);
}

/* --- AppStream metainfo, read with GMarkup ---------------------------- */

typedef struct {
  GString   *text;          /* of the element being read */
  char      *id;
  char      *launchable;
  char      *binary;
  GPtrArray *images;        /* URLs */
  GPtrArray *releases;      /* versions, newest first as written */
  guint      light_colors;
  guint      dark_colors;
  guint      content_ratings;
  guint      depth;
} Metainfo;

static void
metainfo_free (Metainfo *info)
{
  g_string_free (info->text, TRUE);
  g_free (info->id);
  g_free (info->launchable);
  g_free (info->binary);
  g_ptr_array_unref (info->images);
  g_ptr_array_unref (info->releases);
  g_free (info);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Metainfo, metainfo_free)

static void
metainfo_start (GMarkupParseContext  *context,
                const char           *element,
                const char          **names,
                const char          **values,
                gpointer              user_data,
                GError              **error)
{
  Metainfo *info = user_data;

  info->depth++;
  g_string_truncate (info->text, 0);
  for (gsize i = 0; names[i] != NULL; i++)
    {
      if (g_str_equal (element, "release") && g_str_equal (names[i], "version"))
        g_ptr_array_add (info->releases, g_strdup (values[i]));
      if (g_str_equal (element, "color") && g_str_equal (names[i], "scheme_preference"))
        {
          if (g_str_equal (values[i], "light"))
            info->light_colors++;
          else if (g_str_equal (values[i], "dark"))
            info->dark_colors++;
        }
    }
  if (g_str_equal (element, "content_rating"))
    info->content_ratings++;
}

static void
metainfo_text (GMarkupParseContext  *context,
               const char           *text,
               gsize                 length,
               gpointer              user_data,
               GError              **error)
{
  Metainfo *info = user_data;

  g_string_append_len (info->text, text, length);
}

/* g_set_str needs GLib 2.76. */
static void
replace_str (char       **field,
             const char  *value)
{
  g_free (*field);
  *field = g_strdup (value);
}

static void
metainfo_end (GMarkupParseContext  *context,
              const char           *element,
              gpointer              user_data,
              GError              **error)
{
  Metainfo *info = user_data;
  g_autofree char *text = g_strstrip (g_strdup (info->text->str));

  /* <id> directly under <component>: other ids (developer) are deeper. */
  if (g_str_equal (element, "id") && info->depth == 2)
    replace_str (&info->id, text);
  else if (g_str_equal (element, "launchable"))
    replace_str (&info->launchable, text);
  else if (g_str_equal (element, "binary"))
    replace_str (&info->binary, text);
  else if (g_str_equal (element, "image"))
    g_ptr_array_add (info->images, g_steal_pointer (&text));
  g_string_truncate (info->text, 0);
  info->depth--;
}

static Metainfo *
read_metainfo (const char *path)
{
  static const GMarkupParser parser = {
    metainfo_start, metainfo_end, metainfo_text, NULL, NULL,
  };
  g_autoptr(Metainfo) info = g_new0 (Metainfo, 1);
  g_autoptr(GMarkupParseContext) context = NULL;
  g_autofree char *contents = NULL;
  gsize length = 0;
  g_autoptr(GError) error = NULL;

  info->text = g_string_new (NULL);
  info->images = g_ptr_array_new_with_free_func (g_free);
  info->releases = g_ptr_array_new_with_free_func (g_free);

  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);
  context = g_markup_parse_context_new (&parser, G_MARKUP_DEFAULT_FLAGS, info, NULL);
  g_markup_parse_context_parse (context, contents, length, &error);
  g_assert_no_error (error);
  g_markup_parse_context_end_parse (context, &error);
  g_assert_no_error (error);

  return g_steal_pointer (&info);
}

/* --- desktop file ------------------------------------------------------- */

static void
test_desktop_file (void)
{
  g_autofree char *path = build_path ("data", APPLICATION_ID ".desktop", NULL);
  const char *validate[] = { "desktop-file-validate", path, NULL };
  g_autoptr(GKeyFile) keys = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *mime = NULL;
  g_autofree char *icon = NULL;
  g_autofree char *action_exec = NULL;
  g_autofree char *action_name_de = NULL;
  g_auto(GStrv) actions = NULL;
  g_autofree char *broken_dir = NULL;
  g_autofree char *broken = NULL;
  const char *validate_broken[] = { "desktop-file-validate", NULL, NULL };

  g_assert_cmpint (run_tool (validate, NULL, NULL, NULL), ==, 0);

  g_key_file_load_from_file (keys, path, G_KEY_FILE_KEEP_TRANSLATIONS, &error);
  g_assert_no_error (error);
  mime = g_key_file_get_string (keys, "Desktop Entry", "MimeType", &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (mime, "x-scheme-handler/matrix;"));
  icon = g_key_file_get_string (keys, "Desktop Entry", "Icon", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (icon, ==, APPLICATION_ID);
  g_assert_true (g_key_file_get_boolean (keys, "Desktop Entry", "DBusActivatable", &error));
  g_assert_no_error (error);

  /* The "New Chat" action, which a D-Bus launcher activates as app.new-chat. */
  actions = g_key_file_get_string_list (keys, "Desktop Entry", "Actions", NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_strv_contains ((const char * const *) actions, "new-chat"));
  action_exec = g_key_file_get_string (keys, "Desktop Action new-chat", "Exec", &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (action_exec, "new-chat"));
  /* msgfmt merged the translations in. */
  action_name_de = g_key_file_get_locale_string (keys, "Desktop Action new-chat", "Name", "de", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (action_name_de, ==, "Neuer Chat");

  /* The validator does catch a broken file (here: no Type). */
  broken_dir = g_dir_make_tmp ("duet-desktop-XXXXXX", &error);
  g_assert_no_error (error);
  broken = g_build_filename (broken_dir, APPLICATION_ID ".desktop", NULL);
  g_file_set_contents (broken, "[Desktop Entry]\nName=Duet\nExec=duet\n", -1, &error);
  g_assert_no_error (error);
  validate_broken[1] = broken;
  g_assert_cmpint (run_tool (validate_broken, NULL, NULL, NULL), !=, 0);
  g_assert_no_errno (g_unlink (broken));
  g_assert_no_errno (g_rmdir (broken_dir));
}

/* --- AppStream metainfo ------------------------------------------------- */

static void
test_metainfo (void)
{
  g_autofree char *path = build_path ("data", APPLICATION_ID ".metainfo.xml", NULL);
  const char *validate[] = { "appstreamcli", "validate", "--no-net", "--explain", path, NULL };
  g_autoptr(Metainfo) info = NULL;

  g_assert_cmpint (run_tool (validate, NULL, NULL, NULL), ==, 0);

  info = read_metainfo (path);
  g_assert_cmpstr (info->id, ==, APPLICATION_ID);
  g_assert_cmpstr (info->launchable, ==, APPLICATION_ID ".desktop");
  g_assert_cmpstr (info->binary, ==, "duet");
  g_assert_cmpuint (info->light_colors, ==, 1);
  g_assert_cmpuint (info->dark_colors, ==, 1);
  g_assert_cmpuint (info->content_ratings, ==, 1);

  /* The newest release is the version being built: bump both together. */
  g_assert_cmpuint (info->releases->len, >=, 1);
  g_assert_cmpstr (info->releases->pdata[0], ==, PACKAGE_VERSION);

  /* Every screenshot is a file in data/screenshots, served from main. */
  g_assert_cmpuint (info->images->len, >=, 1);
  for (guint i = 0; i < info->images->len; i++)
    {
      const char *url = info->images->pdata[i];
      g_autofree char *file = NULL;

      g_assert_true (g_str_has_prefix (url, SCREENSHOT_URL_PREFIX));
      file = source_path ("data", "screenshots", url + strlen (SCREENSHOT_URL_PREFIX), NULL);
      assert_file_exists (file);
    }
}

/* --- icons -------------------------------------------------------------- */

/* Renders @svg at @size with rsvg-convert and checks that a PNG came out. */
static void
assert_icon_renders (const char *svg,
                     const char *size)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("duet-icon-XXXXXX", &error);
  g_autofree char *png = NULL;
  g_autofree char *contents = NULL;
  gsize length = 0;
  const char *render[] = { "rsvg-convert", "-w", size, "-h", size, "-o", NULL, svg, NULL };

  g_assert_no_error (error);
  png = g_build_filename (dir, "icon.png", NULL);
  render[6] = png;
  g_assert_cmpint (run_tool (render, NULL, NULL, NULL), ==, 0);
  g_file_get_contents (png, &contents, &length, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (length, >, 8);
  g_assert_cmpmem (contents, 8, "\x89PNG\r\n\x1a\n", 8);
  g_assert_no_errno (g_unlink (png));
  g_assert_no_errno (g_rmdir (dir));
}

static void
test_icons (void)
{
  g_autofree char *scalable = source_path ("data", "icons", "hicolor", "scalable", "apps",
                                           APPLICATION_ID ".svg", NULL);
  g_autofree char *symbolic = source_path ("data", "icons", "hicolor", "symbolic", "apps",
                                           APPLICATION_ID "-symbolic.svg", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GRegex) colour = NULL;
  g_autoptr(GMatchInfo) match = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) colours = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  assert_icon_renders (scalable, "128");
  assert_icon_renders (scalable, "32");
  assert_icon_renders (symbolic, "16");

  /* A symbolic icon is 16 px and one colour, which GTK replaces by the
   * text colour of the theme. */
  g_file_get_contents (symbolic, &contents, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (contents, "width=\"16\" height=\"16\""));
  colour = g_regex_new ("(fill|stroke)=\"(#[0-9a-fA-F]{3,8})\"", 0, 0, &error);
  g_assert_no_error (error);
  g_regex_match (colour, contents, 0, &match);
  while (g_match_info_matches (match))
    {
      g_autofree char *value = g_match_info_fetch (match, 2);

      g_hash_table_add (colours, g_ascii_strdown (value, -1));
      g_match_info_next (match, NULL);
    }
  g_assert_cmpuint (g_hash_table_size (colours), ==, 1);
}

/* --- GSettings schema --------------------------------------------------- */

static void
assert_enum_range (GSettingsSchema *schema,
                   const char      *key_name,
                   const char      *nicks)
{
  g_autoptr(GSettingsSchemaKey) key = g_settings_schema_get_key (schema, key_name);
  g_autoptr(GVariant) range = g_settings_schema_key_get_range (key);
  const char *type = NULL;
  g_autoptr(GVariant) values = NULL;
  g_autofree const char **strv = NULL;
  g_autofree char *joined = NULL;

  g_variant_get (range, "(&sv)", &type, &values);
  g_assert_cmpstr (type, ==, "enum");
  strv = g_variant_get_strv (values, NULL);
  joined = g_strjoinv (",", (char **) strv);
  g_assert_cmpstr (joined, ==, nicks);
}

static void
test_schema (void)
{
  g_autofree char *data_dir = source_path ("data", NULL);
  const char *dry_run[] = { "glib-compile-schemas", "--strict", "--dry-run", data_dir, NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *target = g_dir_make_tmp ("duet-schema-XXXXXX", &error);
  g_autofree char *compiled = NULL;
  const char *compile[] = { "glib-compile-schemas", "--strict", "--targetdir", target, data_dir, NULL };
  g_autoptr(GSettingsSchemaSource) source = NULL;
  g_autoptr(GSettingsSchema) schema = NULL;
  static const char *keys[] = {
    "window-width", "window-height", "window-maximized", "invite-policy", "notifications",
  };

  g_assert_no_error (error);
  g_assert_cmpint (run_tool (dry_run, NULL, NULL, NULL), ==, 0);

  /* Compiled for real into a temporary folder, the schema has the keys
   * the app reads. */
  g_assert_cmpint (run_tool (compile, NULL, NULL, NULL), ==, 0);
  source = g_settings_schema_source_new_from_directory (target, NULL, TRUE, &error);
  g_assert_no_error (error);
  schema = g_settings_schema_source_lookup (source, APPLICATION_ID, FALSE);
  g_assert_nonnull (schema);
  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      if (!g_settings_schema_has_key (schema, keys[i]))
        g_test_message ("the schema has no key '%s'", keys[i]);
      g_assert_true (g_settings_schema_has_key (schema, keys[i]));
    }
  assert_enum_range (schema, "invite-policy", "ask,always,never");

  compiled = g_build_filename (target, "gschemas.compiled", NULL);
  g_assert_no_errno (g_unlink (compiled));
  g_assert_no_errno (g_rmdir (target));
}

/* --- translations ------------------------------------------------------- */

static void
test_po_files (void)
{
  g_autofree char *po_dir = source_path ("po", NULL);
  g_auto(GStrv) linguas = read_linguas ();
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GError) error = NULL;
  const char *name;
  guint checked = 0;

  dir = g_dir_open (po_dir, 0, &error);
  g_assert_no_error (error);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autofree char *lang = NULL;
      const char *check[] = { "msgfmt", "--check", "--statistics", "-o", "/dev/null", NULL, NULL };

      if (!g_str_has_suffix (name, ".po"))
        continue;
      path = g_build_filename (po_dir, name, NULL);
      check[5] = path;
      g_assert_cmpint (run_tool (check, NULL, NULL, NULL), ==, 0);

      /* A .po that LINGUAS does not list is never built nor installed. */
      lang = g_strndup (name, strlen (name) - strlen (".po"));
      if (!g_strv_contains ((const char * const *) linguas, lang))
        g_test_message ("po/%s is missing from po/LINGUAS", name);
      g_assert_true (g_strv_contains ((const char * const *) linguas, lang));
      checked++;
    }
  g_assert_cmpuint (checked, ==, g_strv_length (linguas));
  g_assert_cmpuint (checked, >=, 1);
}

static void
collect_translatable_files (GFile     *dir,
                            GRegex    *marker,
                            const char *prefix,
                            GPtrArray *found)
{
  g_autoptr(GFileEnumerator) children = NULL;
  g_autoptr(GError) error = NULL;
  GFileInfo *info;

  children = g_file_enumerate_children (dir, G_FILE_ATTRIBUTE_STANDARD_NAME ","
                                        G_FILE_ATTRIBUTE_STANDARD_TYPE,
                                        G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, &error);
  g_assert_no_error (error);
  while ((info = g_file_enumerator_next_file (children, NULL, &error)) != NULL)
    {
      g_autoptr(GFileInfo) owned = info;
      const char *name = g_file_info_get_name (info);
      g_autoptr(GFile) child = g_file_get_child (dir, name);
      g_autofree char *relative = g_build_path ("/", prefix, name, NULL);

      if (g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY)
        {
          collect_translatable_files (child, marker, relative, found);
        }
      else if (g_str_has_suffix (name, ".c") || g_str_has_suffix (name, ".h") ||
               g_str_has_suffix (name, ".ui"))
        {
          g_autofree char *contents = NULL;

          g_file_load_contents (child, NULL, &contents, NULL, NULL, &error);
          g_assert_no_error (error);
          if (g_regex_match (marker, contents, 0, NULL))
            g_ptr_array_add (found, g_steal_pointer (&relative));
        }
    }
  g_assert_no_error (error);
}

/* If this fails, add the file it names to po/POTFILES.in (one path a line,
 * relative to the top folder, in sorted order), then refresh the template
 * and the translations:
 *
 *   ninja -C BUILDDIR duet-pot duet-update-po
 *
 * and translate the new strings in po/de.po (or ask a translator to). */
static void
test_potfiles_complete (void)
{
  g_autofree char *potfiles_path = source_path ("po", "POTFILES.in", NULL);
  g_autofree char *src_path = source_path ("src", NULL);
  g_autoptr(GFile) src = g_file_new_for_path (src_path);
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GPtrArray) listed = g_ptr_array_new ();
  g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GRegex) marker = NULL;
  g_autoptr(GError) error = NULL;

  /* _("…"), N_("…"), C_("…"), NC_("…"), ngettext (…) and marked .ui strings. */
  marker = g_regex_new ("(^|[^A-Za-z0-9_])(N|C|NC)?_ ?\\(\"|[^A-Za-z0-9_]ngettext ?\\(|"
                        "translatable=\"yes\"",
                        G_REGEX_MULTILINE, 0, &error);
  g_assert_no_error (error);

  g_file_get_contents (potfiles_path, &contents, NULL, &error);
  g_assert_no_error (error);
  lines = g_strsplit (contents, "\n", -1);
  for (gsize i = 0; lines[i] != NULL; i++)
    {
      g_autofree char *listed_path = NULL;

      g_strstrip (lines[i]);
      if (lines[i][0] == '\0' || lines[i][0] == '#')
        continue;
      /* xgettext fails on a listed file that is gone. */
      listed_path = source_path (lines[i], NULL);
      assert_file_exists (listed_path);
      g_ptr_array_add (listed, lines[i]);
    }

  collect_translatable_files (src, marker, "src", found);
  g_assert_cmpuint (found->len, >=, 1);
  for (guint i = 0; i < found->len; i++)
    {
      gboolean is_listed = g_ptr_array_find_with_equal_func (listed, found->pdata[i],
                                                            g_str_equal, NULL);

      if (!is_listed)
        g_test_message ("%s has translatable strings but is not in po/POTFILES.in",
                        (char *) found->pdata[i]);
      g_assert_true (is_listed);
    }
}

/* Only C locales exist on the build machines: with LANG=C.UTF-8, LANGUAGE
 * alone picks the catalogue, which DUET_LOCALEDIR finds in the build tree. */
static void
test_translation_switches (void)
{
  g_autofree char *localedir = build_path ("po", NULL);
  g_autofree char *localedir_env = g_strconcat ("DUET_LOCALEDIR=", localedir, NULL);
  const char *help[] = { g_getenv ("DUETCTL"), "--help", NULL };
  const char *german_env[] = {
    "LC_ALL", "LC_MESSAGES", "LANG=C.UTF-8", "LANGUAGE=de", localedir_env, NULL,
  };
  const char *english_env[] = {
    "LC_ALL", "LC_MESSAGES", "LANG=C.UTF-8", "LANGUAGE", localedir_env, NULL,
  };
  g_autofree char *german = NULL;
  g_autofree char *english = NULL;

  g_assert_nonnull (help[0]);
  g_assert_cmpint (run_tool (help, german_env, &german, NULL), ==, 0);
  g_assert_nonnull (strstr (german, "Duets Modell für Direktnachrichten im Terminal."));
  g_assert_nonnull (strstr (german, "Zustand in ORDNER speichern"));
  g_assert_null (strstr (german, "from a terminal"));

  g_assert_cmpint (run_tool (help, english_env, &english, NULL), ==, 0);
  g_assert_nonnull (strstr (english, "Duet's direct-messaging model from a terminal."));
  g_assert_null (strstr (english, "Terminal."));
}

/* --- Flatpak ------------------------------------------------------------ */

static JsonObject *
read_manifest (JsonParser *parser)
{
  g_autofree char *path = source_path ("flatpak", APPLICATION_ID ".json", NULL);
  g_autoptr(GError) error = NULL;
  JsonNode *root;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  root = json_parser_get_root (parser);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  return json_node_get_object (root);
}

/* Options that meson_options.txt declares, so that a renamed option is not
 * silently ignored by the manifest's config-opts. */
static gboolean
is_meson_option (const char *name)
{
  g_autofree char *path = source_path ("meson_options.txt", NULL);
  g_autofree char *contents = NULL;
  g_autofree char *declaration = g_strdup_printf ("option('%s'", name);
  g_autoptr(GError) error = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  return strstr (contents, declaration) != NULL;
}

static void
test_flatpak_manifest (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *manifest = read_manifest (parser);
  static const char *allowed_args[] = {
    "--share=network", "--share=ipc", "--socket=wayland", "--socket=fallback-x11",
    "--device=dri", NULL,
  };
  const char *id;
  const char *runtime_version;
  guint64 version = 0;
  g_autoptr(GError) error = NULL;
  JsonArray *finish_args;
  g_autoptr(GStrvBuilder) args_builder = g_strv_builder_new ();
  g_auto(GStrv) args = NULL;
  JsonArray *modules;
  JsonObject *module;
  JsonArray *sources;
  JsonObject *source;
  JsonArray *config_opts;
  gboolean demo_off = FALSE;
  gboolean tests_off = FALSE;

  id = json_object_has_member (manifest, "id") ? json_object_get_string_member (manifest, "id")
                                               : json_object_get_string_member (manifest, "app-id");
  g_assert_cmpstr (id, ==, APPLICATION_ID);
  g_assert_cmpstr (json_object_get_string_member (manifest, "runtime"), ==, "org.gnome.Platform");
  g_assert_cmpstr (json_object_get_string_member (manifest, "sdk"), ==, "org.gnome.Sdk");
  g_assert_cmpstr (json_object_get_string_member (manifest, "command"), ==, "duet");

  runtime_version = json_object_get_string_member (manifest, "runtime-version");
  g_assert_nonnull (runtime_version);
  g_ascii_string_to_unsigned (runtime_version, 10, 0, G_MAXUINT, &version, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (version, >=, 50);

  /* Exactly these: no D-Bus names (secrets go through the Secret portal,
   * notifications through the notification portal) and no files. */
  finish_args = json_object_get_array_member (manifest, "finish-args");
  g_assert_nonnull (finish_args);
  for (guint i = 0; i < json_array_get_length (finish_args); i++)
    g_strv_builder_add (args_builder, json_array_get_string_element (finish_args, i));
  args = g_strv_builder_end (args_builder);
  g_assert_false (strv_has_duplicates ((const char * const *) args));
  for (gsize i = 0; args[i] != NULL; i++)
    {
      if (!g_strv_contains (allowed_args, args[i]))
        g_test_message ("finish-args has '%s', which Duet does not need", args[i]);
      g_assert_true (g_strv_contains (allowed_args, args[i]));
    }
  g_assert_cmpuint (g_strv_length (args), ==, g_strv_length ((char **) allowed_args));

  /* One module: Duet itself, from this source tree, without the demo
   * homeserver and the tests. */
  modules = json_object_get_array_member (manifest, "modules");
  g_assert_nonnull (modules);
  g_assert_cmpuint (json_array_get_length (modules), ==, 1);
  module = json_array_get_object_element (modules, 0);
  g_assert_nonnull (module);
  g_assert_cmpstr (json_object_get_string_member (module, "buildsystem"), ==, "meson");
  sources = json_object_get_array_member (module, "sources");
  g_assert_cmpuint (json_array_get_length (sources), ==, 1);
  source = json_array_get_object_element (sources, 0);
  g_assert_cmpstr (json_object_get_string_member (source, "type"), ==, "dir");
  g_assert_cmpstr (json_object_get_string_member (source, "path"), ==, "..");

  config_opts = json_object_get_array_member (module, "config-opts");
  g_assert_nonnull (config_opts);
  for (guint i = 0; i < json_array_get_length (config_opts); i++)
    {
      const char *opt = json_array_get_string_element (config_opts, i);
      g_autofree char *name = NULL;

      demo_off |= g_str_equal (opt, "-Ddemo=false");
      tests_off |= g_str_equal (opt, "-Dtests=false");
      if (!g_str_has_prefix (opt, "-D") || strchr (opt, '=') == NULL)
        continue;
      name = g_strndup (opt + 2, strchr (opt, '=') - (opt + 2));
      /* b_* and c_* are meson's own options. */
      if (!is_meson_option (name) && !g_str_has_prefix (name, "b_") && !g_str_has_prefix (name, "c_"))
        g_test_message ("config-opts sets '%s', which meson_options.txt does not declare", name);
      g_assert_true (is_meson_option (name) || g_str_has_prefix (name, "b_") ||
                     g_str_has_prefix (name, "c_"));
    }
  g_assert_true (demo_off);
  g_assert_true (tests_off);
}

static void
delete_tree (GFile *file)
{
  g_autoptr(GFileEnumerator) children = NULL;
  g_autoptr(GError) error = NULL;
  GFileInfo *info;

  children = g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                        G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
  while (children != NULL && (info = g_file_enumerator_next_file (children, NULL, NULL)) != NULL)
    {
      g_autoptr(GFileInfo) owned = info;
      g_autoptr(GFile) child = g_file_get_child (file, g_file_info_get_name (info));

      delete_tree (child);
    }
  g_file_delete (file, NULL, &error);
  g_assert_no_error (error);
}

/* The manifest's meson configuration, set up (not built) in a temporary
 * folder with the Flatpak's prefix: meson accepts its options, nothing of
 * the test or demo homeserver is even built, and what it installs includes
 * what the manifest and the desktop files need. */
static void
test_flatpak_configuration (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *manifest = read_manifest (parser);
  JsonObject *module = json_array_get_object_element (json_object_get_array_member (manifest, "modules"), 0);
  JsonArray *config_opts = json_object_get_array_member (module, "config-opts");
  const char *meson = g_getenv ("MESON");
  g_autofree char *source_root = source_path (".", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *build_dir = g_dir_make_tmp ("duet-flatpak-XXXXXX", &error);
  g_autoptr(GFile) build_file = NULL;
  g_autoptr(GPtrArray) setup = g_ptr_array_new ();
  g_autofree char *targets_json = NULL;
  g_autofree char *installed_json = NULL;
  g_autoptr(JsonParser) targets_parser = json_parser_new ();
  g_autoptr(JsonParser) installed_parser = json_parser_new ();
  g_autoptr(GHashTable) installed = g_hash_table_new (g_str_hash, g_str_equal);
  g_auto(GStrv) linguas = read_linguas ();
  JsonArray *targets;
  JsonObject *installed_object;
  g_autoptr(GList) destinations = NULL;
  g_autofree char *command = NULL;
  static const char *expected[] = {
    "/app/share/applications/" APPLICATION_ID ".desktop",
    "/app/share/metainfo/" APPLICATION_ID ".metainfo.xml",
    "/app/share/dbus-1/services/" APPLICATION_ID ".service",
    "/app/share/glib-2.0/schemas/" APPLICATION_ID ".gschema.xml",
    "/app/share/icons/hicolor/scalable/apps/" APPLICATION_ID ".svg",
    "/app/share/icons/hicolor/symbolic/apps/" APPLICATION_ID "-symbolic.svg",
  };

  g_assert_no_error (error);
  g_assert_nonnull (meson);
  build_file = g_file_new_for_path (build_dir);

  /* flatpak-builder's own options for a meson module, then the manifest's. */
  g_ptr_array_add (setup, (gpointer) meson);
  g_ptr_array_add (setup, "setup");
  g_ptr_array_add (setup, "--prefix=/app");
  g_ptr_array_add (setup, "--libdir=lib");
  g_ptr_array_add (setup, "--buildtype=release");
  for (guint i = 0; i < json_array_get_length (config_opts); i++)
    g_ptr_array_add (setup, (gpointer) json_array_get_string_element (config_opts, i));
  g_ptr_array_add (setup, build_dir);
  g_ptr_array_add (setup, source_root);
  g_ptr_array_add (setup, NULL);
  g_assert_cmpint (run_tool ((const char * const *) setup->pdata, NULL, NULL, NULL), ==, 0);

  {
    const char *introspect[] = { meson, "introspect", "--targets", build_dir, NULL };

    g_assert_cmpint (run_tool (introspect, NULL, &targets_json, NULL), ==, 0);
  }
  json_parser_load_from_data (targets_parser, targets_json, -1, &error);
  g_assert_no_error (error);
  targets = json_node_get_array (json_parser_get_root (targets_parser));
  g_assert_cmpuint (json_array_get_length (targets), >, 0);
  for (guint i = 0; i < json_array_get_length (targets); i++)
    {
      const char *name = json_object_get_string_member (json_array_get_object_element (targets, i),
                                                        "name");

      if (strstr (name, "homeserver") != NULL || g_str_has_prefix (name, "test-"))
        g_test_message ("the Flatpak build would build '%s'", name);
      g_assert_null (strstr (name, "homeserver"));
      g_assert_false (g_str_has_prefix (name, "test-"));
    }

  {
    const char *introspect[] = { meson, "introspect", "--installed", build_dir, NULL };

    g_assert_cmpint (run_tool (introspect, NULL, &installed_json, NULL), ==, 0);
  }
  json_parser_load_from_data (installed_parser, installed_json, -1, &error);
  g_assert_no_error (error);
  installed_object = json_node_get_object (json_parser_get_root (installed_parser));
  destinations = json_object_get_values (installed_object);
  for (GList *l = destinations; l != NULL; l = l->next)
    {
      const char *destination = json_node_get_string (l->data);

      g_assert_nonnull (destination);
      g_assert_null (strstr (destination, "homeserver"));
      g_hash_table_add (installed, (gpointer) destination);
    }

  command = g_strconcat ("/app/bin/", json_object_get_string_member (manifest, "command"), NULL);
  g_assert_true (g_hash_table_contains (installed, command));
  for (gsize i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      if (!g_hash_table_contains (installed, expected[i]))
        g_test_message ("the Flatpak build would not install %s", expected[i]);
      g_assert_true (g_hash_table_contains (installed, expected[i]));
    }
  for (gsize i = 0; linguas[i] != NULL; i++)
    {
      g_autofree char *mo = g_strdup_printf ("/app/share/locale/%s/LC_MESSAGES/%s.mo",
                                             linguas[i], GETTEXT_PACKAGE);

      g_assert_true (g_hash_table_contains (installed, mo));
    }

  delete_tree (build_file);
}

/* Fails on any installed path that belongs to the test or demo homeserver. */
static void
assert_no_homeserver (GFile *dir)
{
  g_autoptr(GFileEnumerator) children = NULL;
  g_autoptr(GError) error = NULL;
  GFileInfo *info;

  children = g_file_enumerate_children (dir, G_FILE_ATTRIBUTE_STANDARD_NAME ","
                                        G_FILE_ATTRIBUTE_STANDARD_TYPE,
                                        G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, &error);
  g_assert_no_error (error);
  while ((info = g_file_enumerator_next_file (children, NULL, &error)) != NULL)
    {
      g_autoptr(GFileInfo) owned = info;
      g_autoptr(GFile) child = g_file_get_child (dir, g_file_info_get_name (info));

      if (strstr (g_file_info_get_name (info), "homeserver") != NULL)
        g_test_message ("installed: %s", g_file_peek_path (child));
      g_assert_null (strstr (g_file_info_get_name (info), "homeserver"));
      if (g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY)
        assert_no_homeserver (child);
    }
  g_assert_no_error (error);
}

static char *
install_dir (const char *root,
             const char *option_env)
{
  const char *prefix = g_getenv ("DUET_INSTALL_PREFIX");
  const char *dir = g_getenv (option_env);

  g_assert_nonnull (prefix);
  g_assert_nonnull (dir);
  /* meson_options' dirs are relative to the prefix, or absolute. */
  if (g_path_is_absolute (dir))
    return g_build_filename (root, dir, NULL);
  return g_build_filename (root, prefix, dir, NULL);
}

/* The first word of a desktop or service file's Exec line. */
static char *
exec_program (GKeyFile   *keys,
              const char *group)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *exec = g_key_file_get_string (keys, group, "Exec", &error);
  g_auto(GStrv) words = NULL;

  g_assert_no_error (error);
  g_shell_parse_argv (exec, NULL, &words, &error);
  g_assert_no_error (error);
  return g_strdup (words[0]);
}

/* What the Flatpak gets is what `meson install` puts in its prefix: install
 * the build into a temporary root and follow every path the manifest, the
 * desktop file, the metainfo and the D-Bus service name. */
static void
test_installed_files (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *manifest = read_manifest (parser);
  g_autoptr(GError) error = NULL;
  g_autofree char *root = g_dir_make_tmp ("duet-install-XXXXXX", &error);
  g_autoptr(GFile) root_file = NULL;
  const char *meson = g_getenv ("MESON");
  const char *build_root = g_getenv ("DUET_BUILD_ROOT");
  g_autofree char *bindir = NULL;
  g_autofree char *datadir = NULL;
  g_autofree char *localedir = NULL;
  g_autofree char *command = NULL;
  g_autofree char *desktop_path = NULL;
  g_autofree char *metainfo_path = NULL;
  g_autofree char *service_path = NULL;
  g_autofree char *schema_path = NULL;
  g_autoptr(GKeyFile) desktop = g_key_file_new ();
  g_autoptr(GKeyFile) service = g_key_file_new ();
  g_autofree char *icon = NULL;
  g_autofree char *desktop_exec = NULL;
  g_autofree char *service_exec = NULL;
  g_autofree char *service_name = NULL;
  g_autoptr(Metainfo) info = NULL;
  g_auto(GStrv) linguas = read_linguas ();

  g_assert_no_error (error);
  g_assert_nonnull (meson);
  g_assert_nonnull (build_root);
  root_file = g_file_new_for_path (root);

  {
    const char *install[] = {
      meson, "install", "-C", build_root, "--no-rebuild", "--quiet", "--destdir", root, NULL,
    };

    g_assert_cmpint (run_tool (install, NULL, NULL, NULL), ==, 0);
  }

  bindir = install_dir (root, "DUET_INSTALL_BINDIR");
  datadir = install_dir (root, "DUET_INSTALL_DATADIR");
  localedir = install_dir (root, "DUET_INSTALL_LOCALEDIR");

  /* The manifest's command. */
  command = g_build_filename (bindir, json_object_get_string_member (manifest, "command"), NULL);
  assert_file_exists (command);
  g_assert_true (g_file_test (command, G_FILE_TEST_IS_EXECUTABLE));

  /* The desktop file, its program and its icons. */
  desktop_path = g_build_filename (datadir, "applications", APPLICATION_ID ".desktop", NULL);
  assert_file_exists (desktop_path);
  g_key_file_load_from_file (desktop, desktop_path, G_KEY_FILE_NONE, &error);
  g_assert_no_error (error);
  desktop_exec = exec_program (desktop, "Desktop Entry");
  {
    g_autofree char *program = g_build_filename (bindir, desktop_exec, NULL);

    assert_file_exists (program);
  }
  icon = g_key_file_get_string (desktop, "Desktop Entry", "Icon", &error);
  g_assert_no_error (error);
  {
    g_autofree char *icon_name = g_strconcat (icon, ".svg", NULL);
    g_autofree char *symbolic_name = g_strconcat (icon, "-symbolic.svg", NULL);
    g_autofree char *scalable = g_build_filename (datadir, "icons", "hicolor", "scalable", "apps",
                                                  icon_name, NULL);
    g_autofree char *symbolic = g_build_filename (datadir, "icons", "hicolor", "symbolic", "apps",
                                                  symbolic_name, NULL);

    assert_file_exists (scalable);
    assert_file_exists (symbolic);
  }

  /* The metainfo, what it launches and the binary it provides. */
  metainfo_path = g_build_filename (datadir, "metainfo", APPLICATION_ID ".metainfo.xml", NULL);
  assert_file_exists (metainfo_path);
  info = read_metainfo (metainfo_path);
  {
    g_autofree char *launchable = g_build_filename (datadir, "applications", info->launchable, NULL);
    g_autofree char *binary = g_build_filename (bindir, info->binary, NULL);

    assert_file_exists (launchable);
    assert_file_exists (binary);
  }

  /* The D-Bus service starts the installed program under the app id. */
  service_path = g_build_filename (datadir, "dbus-1", "services", APPLICATION_ID ".service", NULL);
  assert_file_exists (service_path);
  g_key_file_load_from_file (service, service_path, G_KEY_FILE_NONE, &error);
  g_assert_no_error (error);
  service_name = g_key_file_get_string (service, "D-BUS Service", "Name", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (service_name, ==, APPLICATION_ID);
  service_exec = exec_program (service, "D-BUS Service");
  g_assert_true (g_path_is_absolute (service_exec));
  {
    g_autofree char *program = g_build_filename (root, service_exec, NULL);

    assert_file_exists (program);
  }

  schema_path = g_build_filename (datadir, "glib-2.0", "schemas", APPLICATION_ID ".gschema.xml", NULL);
  assert_file_exists (schema_path);

  for (gsize i = 0; linguas[i] != NULL; i++)
    {
      g_autofree char *mo = g_build_filename (localedir, linguas[i], "LC_MESSAGES",
                                              GETTEXT_PACKAGE ".mo", NULL);

      assert_file_exists (mo);
    }

  /* The demo homeserver is for trying Duet from a checkout, never shipped. */
  assert_no_homeserver (root_file);

  delete_tree (root_file);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/data/desktop-file", test_desktop_file);
  g_test_add_func ("/data/metainfo", test_metainfo);
  g_test_add_func ("/data/icons", test_icons);
  g_test_add_func ("/data/schema", test_schema);
  g_test_add_func ("/po/msgfmt-check", test_po_files);
  g_test_add_func ("/po/potfiles-complete", test_potfiles_complete);
  g_test_add_func ("/po/translation-switches", test_translation_switches);
  g_test_add_func ("/flatpak/manifest", test_flatpak_manifest);
  g_test_add_func ("/flatpak/configuration", test_flatpak_configuration);
  g_test_add_func ("/flatpak/installed-files", test_installed_files);

  return g_test_run ();
}
