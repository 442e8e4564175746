/* duet-login-page.c: signing in with a Matrix account
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "duet-a11y.h"
#include "duet-login-page.h"

#define DEFAULT_SERVER "matrix.org"

struct _DuetLoginPage
{
  AdwBin                parent_instance;

  /* Template widgets */
  AdwStatusPage        *status_page;
  AdwEntryRow          *server_row;
  AdwEntryRow          *user_row;
  AdwPasswordEntryRow  *password_row;
  GtkLabel             *error_label;
  GtkButton            *sign_in_button;
  GtkSpinner           *spinner;

  /* Owned references */
  GCancellable         *cancellable;
  char                 *server;          /* as typed, for error messages */
  char                 *reauth_homeserver;
  char                 *reauth_device_id;

  gboolean              busy;
};

G_DEFINE_FINAL_TYPE (DuetLoginPage, duet_login_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_BUSY,
  N_PROPS
};

enum {
  SIGNAL_SIGNED_IN,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* --- Wording ------------------------------------------------------------- */

static gboolean
network_available (void)
{
  return g_network_monitor_get_network_available (g_network_monitor_get_default ());
}

char *
duet_login_error_describe (const GError *error,
                           const char   *server)
{
  g_return_val_if_fail (error != NULL, NULL);

  if (server == NULL || server[0] == '\0')
    server = DEFAULT_SERVER;

  if (error->domain == DUET_API_ERROR)
    {
      switch ((DuetApiError) error->code)
        {
        case DUET_API_ERROR_FORBIDDEN:
          return g_strdup (_("The user name or password is wrong."));
        case DUET_API_ERROR_UNSUPPORTED_SERVER:
          return g_strdup_printf (_("“%s” runs a Matrix version too old for Duet. Its administrators can update it."),
                                  server);
        case DUET_API_ERROR_INSECURE_URL:
          return g_strdup (_("Duet signs in over secure connections only. Use an address starting with https://."));
        case DUET_API_ERROR_INVALID_ARGUMENT:
          return g_strdup (_("Check the homeserver and the user name: one of them is not a valid Matrix address."));
        case DUET_API_ERROR_LIMIT_EXCEEDED:
          return g_strdup (_("The server refuses more attempts for now. Wait a minute and try again."));
        case DUET_API_ERROR_DISCOVERY:
        case DUET_API_ERROR_NOT_FOUND:
        case DUET_API_ERROR_HTTP_NOT_FOUND:
        case DUET_API_ERROR_UNRECOGNIZED:
        case DUET_API_ERROR_INVALID_RESPONSE:
        case DUET_API_ERROR_HTTP:
          /* Discovery folds a failed connection into its own error, so ask
           * the system whether there is a network at all. */
          if (!network_available ())
            break;
          return g_strdup_printf (_("No Matrix server was found at “%s”. Check the address."), server);
        default:
          return g_strdup_printf (_("Signing in failed: %s"), error->message);
        }
    }

  if (error->domain == G_RESOLVER_ERROR && network_available ())
    return g_strdup_printf (_("No server called “%s” exists. Check the address."), server);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
    return g_strdup_printf (_("“%s” does not answer. Check the address, or try again later."), server);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    return g_strdup_printf (_("“%s” took too long to answer. Try again later."), server);

  if (error->domain == G_TLS_ERROR)
    return g_strdup_printf (_("The secure connection to “%s” failed: its certificate is not valid."), server);

  if (error->domain == G_IO_ERROR || error->domain == G_RESOLVER_ERROR ||
      error->domain == DUET_API_ERROR)
    return g_strdup (_("Duet cannot reach the network. Check your connection and try again."));

  return g_strdup_printf (_("Signing in failed: %s"), error->message);
}

/* --- State --------------------------------------------------------------- */

static void
set_busy (DuetLoginPage *self,
          gboolean       busy)
{
  gboolean reauth = self->reauth_homeserver != NULL;

  if (self->busy == busy)
    return;

  self->busy = busy;

  /* An entry made insensitive while it has the focus keeps its cursor
   * blinking without a focus-out (GTK warns): let go of the focus first.
   * It comes back to the form when the busy state ends in an error. */
  if (busy && gtk_widget_get_root (GTK_WIDGET (self)) != NULL)
    {
      GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
      GtkWidget *focus = gtk_root_get_focus (root);

      if (focus != NULL && gtk_widget_is_ancestor (focus, GTK_WIDGET (self)))
        gtk_root_set_focus (root, NULL);
    }

  gtk_widget_set_visible (GTK_WIDGET (self->spinner), busy);
  gtk_spinner_set_spinning (self->spinner, busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->sign_in_button), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->server_row), !busy && !reauth);
  gtk_widget_set_sensitive (GTK_WIDGET (self->user_row), !busy && !reauth);
  gtk_widget_set_sensitive (GTK_WIDGET (self->password_row), !busy);
  gtk_accessible_update_state (GTK_ACCESSIBLE (self->sign_in_button),
                               GTK_ACCESSIBLE_STATE_BUSY, busy,
                               -1);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

static void
clear_error (DuetLoginPage *self)
{
  gtk_label_set_text (self->error_label, "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), FALSE);
}

void
duet_login_page_show_error (DuetLoginPage *self,
                            const char    *message)
{
  g_return_if_fail (DUET_IS_LOGIN_PAGE (self));
  g_return_if_fail (message != NULL);

  set_busy (self, FALSE);
  gtk_label_set_text (self->error_label, message);
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
}

static void
fail (DuetLoginPage *self,
      const GError  *error)
{
  g_autofree char *message = duet_login_error_describe (error, self->server);

  g_debug ("Signing in failed: %s", error->message);
  duet_login_page_show_error (self, message);
}

/* --- Signing in ---------------------------------------------------------- */

static void
login_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(DuetLoginPage) self = user_data;
  g_autoptr(DuetClient) client = DUET_CLIENT (object);
  g_autoptr(GError) error = NULL;

  if (!duet_client_login_finish (client, result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        fail (self, error);
      return;
    }

  /* The password has done its job; it should not outlive the form. */
  gtk_editable_set_text (GTK_EDITABLE (self->password_row), "");
  g_signal_emit (self, signals[SIGNAL_SIGNED_IN], 0, client);
}

static void
login_with (DuetLoginPage *self,
            const char    *base_url)
{
  DuetClient *client = duet_client_new (base_url);
  g_autofree char *user = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->user_row))));
  const char *password = gtk_editable_get_text (GTK_EDITABLE (self->password_row));

  /* The client's reference is carried by the callback. */
  duet_client_login_async (client, user, password,
                           self->reauth_device_id, "Duet",
                           self->cancellable, login_cb, g_object_ref (self));
}

static void
discover_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(DuetLoginPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *base_url = duet_client_discover_finish (result, &error);

  if (base_url == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        fail (self, error);
      return;
    }

  login_with (self, base_url);
}

/* A full user id names its server: "@bob:example.org" with the server
 * left at the default signs in on example.org. */
static char *
choose_server (DuetLoginPage *self)
{
  g_autofree char *server = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->server_row))));
  const char *user = gtk_editable_get_text (GTK_EDITABLE (self->user_row));
  const char *colon = strchr (user, ':');

  if (user[0] == '@' && colon != NULL && colon[1] != '\0' &&
      (server[0] == '\0' || g_str_equal (server, DEFAULT_SERVER)))
    return g_strstrip (g_strdup (colon + 1));
  if (server[0] == '\0')
    return g_strdup (DEFAULT_SERVER);
  return g_steal_pointer (&server);
}

static void
sign_in_clicked_cb (DuetLoginPage *self)
{
  const char *user = gtk_editable_get_text (GTK_EDITABLE (self->user_row));
  const char *password = gtk_editable_get_text (GTK_EDITABLE (self->password_row));

  if (self->busy)
    return;

  clear_error (self);
  if (user[0] == '\0' || password[0] == '\0')
    {
      duet_login_page_show_error (self, _("Enter your user name and password."));
      gtk_widget_grab_focus (GTK_WIDGET (user[0] == '\0' ? GTK_WIDGET (self->user_row)
                                                           : GTK_WIDGET (self->password_row)));
      return;
    }

  set_busy (self, TRUE);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  /* Signing in again after a soft logout: same server, same device. */
  if (self->reauth_homeserver != NULL)
    {
      g_free (self->server);
      self->server = g_strdup (self->reauth_homeserver);
      login_with (self, self->reauth_homeserver);
      return;
    }

  g_free (self->server);
  self->server = choose_server (self);
  duet_client_discover_async (self->server, self->cancellable, discover_cb, g_object_ref (self));
}

static void
row_activated_cb (DuetLoginPage *self,
                  AdwEntryRow   *row)
{
  /* Enter moves down the form, and signs in from the last field. */
  if (row == self->server_row)
    gtk_widget_grab_focus (GTK_WIDGET (self->user_row));
  else if (row == self->user_row && gtk_widget_get_sensitive (GTK_WIDGET (self->password_row)))
    gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
  else
    sign_in_clicked_cb (self);
}

/* --- Public API ---------------------------------------------------------- */

void
duet_login_page_reset (DuetLoginPage *self)
{
  g_return_if_fail (DUET_IS_LOGIN_PAGE (self));

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->reauth_homeserver, g_free);
  g_clear_pointer (&self->reauth_device_id, g_free);
  set_busy (self, FALSE);
  clear_error (self);

  gtk_editable_set_text (GTK_EDITABLE (self->user_row), "");
  gtk_editable_set_text (GTK_EDITABLE (self->password_row), "");
  gtk_widget_set_sensitive (GTK_WIDGET (self->server_row), TRUE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->user_row), TRUE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->password_row), TRUE);
  adw_status_page_set_title (self->status_page, _("Welcome to Duet"));
  adw_status_page_set_description (self->status_page, _("Sign in with your Matrix account"));
}

void
duet_login_page_set_reauth (DuetLoginPage *self,
                            const char    *homeserver_url,
                            const char    *user_id,
                            const char    *device_id)
{
  g_return_if_fail (DUET_IS_LOGIN_PAGE (self));
  g_return_if_fail (homeserver_url != NULL);
  g_return_if_fail (user_id != NULL);

  duet_login_page_reset (self);
  self->reauth_homeserver = g_strdup (homeserver_url);
  self->reauth_device_id = g_strdup (device_id);

  gtk_editable_set_text (GTK_EDITABLE (self->server_row), homeserver_url);
  gtk_editable_set_text (GTK_EDITABLE (self->user_row), user_id);
  gtk_widget_set_sensitive (GTK_WIDGET (self->server_row), FALSE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->user_row), FALSE);
  adw_status_page_set_title (self->status_page, _("Signed Out"));
  adw_status_page_set_description (self->status_page,
                                   _("The server ended this session. Enter your password to continue; your conversations are kept."));
  gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
}

void
duet_login_page_sign_in (DuetLoginPage *self,
                         const char    *server,
                         const char    *user,
                         const char    *password)
{
  g_return_if_fail (DUET_IS_LOGIN_PAGE (self));

  gtk_editable_set_text (GTK_EDITABLE (self->server_row), server != NULL ? server : "");
  gtk_editable_set_text (GTK_EDITABLE (self->user_row), user != NULL ? user : "");
  gtk_editable_set_text (GTK_EDITABLE (self->password_row), password != NULL ? password : "");
  sign_in_clicked_cb (self);
}

gboolean
duet_login_page_get_busy (DuetLoginPage *self)
{
  g_return_val_if_fail (DUET_IS_LOGIN_PAGE (self), FALSE);

  return self->busy;
}

GtkWidget *
duet_login_page_new (void)
{
  return g_object_new (DUET_TYPE_LOGIN_PAGE, NULL);
}

/* --- GObject ------------------------------------------------------------- */

static gboolean
duet_login_page_grab_focus (GtkWidget *widget)
{
  DuetLoginPage *self = DUET_LOGIN_PAGE (widget);
  const char *user = gtk_editable_get_text (GTK_EDITABLE (self->user_row));

  /* The first field that still needs typing. */
  if (user[0] == '\0' && gtk_widget_get_sensitive (GTK_WIDGET (self->user_row)))
    return gtk_widget_grab_focus (GTK_WIDGET (self->user_row));
  return gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
}

static void
duet_login_page_dispose (GObject *object)
{
  DuetLoginPage *self = DUET_LOGIN_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (duet_login_page_parent_class)->dispose (object);
}

static void
duet_login_page_finalize (GObject *object)
{
  DuetLoginPage *self = DUET_LOGIN_PAGE (object);

  g_free (self->server);
  g_free (self->reauth_homeserver);
  g_free (self->reauth_device_id);

  G_OBJECT_CLASS (duet_login_page_parent_class)->finalize (object);
}

static void
duet_login_page_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  DuetLoginPage *self = DUET_LOGIN_PAGE (object);

  switch (prop_id)
    {
    case PROP_BUSY:
      g_value_set_boolean (value, self->busy);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
duet_login_page_class_init (DuetLoginPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = duet_login_page_dispose;
  object_class->finalize = duet_login_page_finalize;
  object_class->get_property = duet_login_page_get_property;
  widget_class->grab_focus = duet_login_page_grab_focus;

  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * DuetLoginPage::signed-in:
   * @client: the signed-in client
   */
  signals[SIGNAL_SIGNED_IN] =
    g_signal_new ("signed-in", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, DUET_TYPE_CLIENT);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/duet_chat/Duet/duet-login-page.ui");
  gtk_widget_class_bind_template_child (widget_class, DuetLoginPage, status_page);
  gtk_widget_class_bind_template_child (widget_class, DuetLoginPage, server_row);
  gtk_widget_class_bind_template_child (widget_class, DuetLoginPage, user_row);
  gtk_widget_class_bind_template_child (widget_class, DuetLoginPage, password_row);
  gtk_widget_class_bind_template_child (widget_class, DuetLoginPage, error_label);
  gtk_widget_class_bind_template_child (widget_class, DuetLoginPage, sign_in_button);
  gtk_widget_class_bind_template_child (widget_class, DuetLoginPage, spinner);
  gtk_widget_class_bind_template_callback (widget_class, sign_in_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, row_activated_cb);
}

static void
duet_login_page_init (DuetLoginPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  duet_a11y_name_internal_controls (GTK_WIDGET (self), _("Sign-in details"));

  /* A screen reader reads the error with the button it is about. */
  gtk_accessible_update_relation (GTK_ACCESSIBLE (self->sign_in_button),
                                  GTK_ACCESSIBLE_RELATION_DESCRIBED_BY, self->error_label, NULL,
                                  -1);
}
