/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TgProviderForm: the rows of "Your Own Provider" in the sign-in window.
 *
 * It knows what each row means and which may stay empty; the window decides
 * when to sign in. Every value is taken stripped of surrounding blanks, as a
 * pasted URL often has them.
 */
#define G_LOG_DOMAIN "tg-provider-form"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include <tokengate.h>

#include "tg-provider-form.h"

/* The rows, in the order of the values below. */
enum {
  ROW_ISSUER,
  ROW_CLIENT_ID,
  ROW_SECRET,
  ROW_SCOPE,
  ROW_API,
  ROW_PATH,
  N_ROWS
};

/* GSettings keys of the rows that are remembered (the secret is not). */
static const char * const row_keys[N_ROWS] = {
  "provider-issuer", "provider-client-id", NULL, "provider-scope", "api-url", "api-path",
};

struct _TgProviderForm
{
  AdwPreferencesGroup  parent_instance;

  AdwEntryRow         *rows[N_ROWS];
  char                *values[N_ROWS];  /* owned: stripped, "" when empty */
};

G_DEFINE_FINAL_TYPE (TgProviderForm, tg_provider_form, ADW_TYPE_PREFERENCES_GROUP)

static const char *
value (TgProviderForm *self,
       guint           row)
{
  g_autofree char *text = g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->rows[row])));

  g_free (self->values[row]);
  self->values[row] = g_strdup (g_strstrip (text));
  return self->values[row];
}

static const char *
value_or_null (TgProviderForm *self,
               guint           row)
{
  const char *text = value (self, row);

  return *text != '\0' ? text : NULL;
}

/* The row marked as the one to fix stops being marked once it is edited. */
static void
on_row_changed (GtkEditable *row)
{
  gtk_widget_remove_css_class (GTK_WIDGET (row), "error");
}

/**
 * tg_provider_form_load:
 *
 * Fills the rows from @settings; the secret row is left empty.
 */
void
tg_provider_form_load (TgProviderForm *self,
                       GSettings      *settings)
{
  g_return_if_fail (TG_IS_PROVIDER_FORM (self));

  for (guint i = 0; i < N_ROWS; i++)
    if (row_keys[i] != NULL)
      {
        g_autofree char *text = g_settings_get_string (settings, row_keys[i]);

        gtk_editable_set_text (GTK_EDITABLE (self->rows[i]), text);
      }
}

/**
 * tg_provider_form_save:
 *
 * Remembers every row but the secret in @settings.
 */
void
tg_provider_form_save (TgProviderForm *self,
                       GSettings      *settings)
{
  g_return_if_fail (TG_IS_PROVIDER_FORM (self));

  for (guint i = 0; i < N_ROWS; i++)
    if (row_keys[i] != NULL)
      g_settings_set_string (settings, row_keys[i], value (self, i));
}

/**
 * tg_provider_form_check:
 * @message: (out): what to fix, when a row is returned
 *
 * Returns: (nullable) (transfer none): the first row that must be fixed
 *   before signing in, marked as such, or %NULL when the form can be used
 */
GtkWidget *
tg_provider_form_check (TgProviderForm  *self,
                        const char     **message)
{
  guint row;
  const char *path;
  const char *api;
  g_autofree char *api_root = NULL;

  g_return_val_if_fail (TG_IS_PROVIDER_FORM (self), NULL);
  g_return_val_if_fail (message != NULL, NULL);

  path = value (self, ROW_PATH);
  api = value (self, ROW_API);
  /* Checked here, by the rule every request is built with, so that a typo
   * is shown on its row before the browser is opened rather than after the
   * provider's discovery. */
  if (*api != '\0')
    api_root = tg_api_client_join_uri (api, "/");
  if (*value (self, ROW_ISSUER) == '\0')
    {
      row = ROW_ISSUER;
      *message = _("Enter the provider’s issuer URL.");
    }
  else if (*value (self, ROW_CLIENT_ID) == '\0')
    {
      row = ROW_CLIENT_ID;
      *message = _("Enter the client ID registered at the provider.");
    }
  else if (*api != '\0' && api_root == NULL)
    {
      row = ROW_API;
      *message = _("The API URL must be an http or https URL, such as https://api.example.com/v1.");
    }
  else if (*path != '\0' && !tg_burst_check_path_format (path, NULL))
    {
      row = ROW_PATH;
      *message = _("The request path must start with “/” and may hold one “%u”, "
                   "the request’s number.");
    }
  else
    return NULL;

  gtk_widget_add_css_class (GTK_WIDGET (self->rows[row]), "error");
  return GTK_WIDGET (self->rows[row]);
}

/**
 * tg_provider_form_get_options:
 * @options: (out caller-allocates): filled with the form's values, which
 *   stay valid until the form is next read or finalized
 */
void
tg_provider_form_get_options (TgProviderForm           *self,
                              TgSessionProviderOptions *options)
{
  g_return_if_fail (TG_IS_PROVIDER_FORM (self));

  *options = (TgSessionProviderOptions) {
    .issuer = value_or_null (self, ROW_ISSUER),
    .client_id = value_or_null (self, ROW_CLIENT_ID),
    .client_secret = value_or_null (self, ROW_SECRET),
    .scope = value_or_null (self, ROW_SCOPE),
    .api_uri = value_or_null (self, ROW_API),
    .path_format = value_or_null (self, ROW_PATH),
  };
}

/* The secret kept in the keyring for the remembered client, when found. */
void
tg_provider_form_set_secret (TgProviderForm *self,
                             const char     *secret)
{
  g_return_if_fail (TG_IS_PROVIDER_FORM (self));

  gtk_editable_set_text (GTK_EDITABLE (self->rows[ROW_SECRET]), secret != NULL ? secret : "");
}

GtkWidget *
tg_provider_form_get_issuer_row (TgProviderForm *self)
{
  g_return_val_if_fail (TG_IS_PROVIDER_FORM (self), NULL);

  return GTK_WIDGET (self->rows[ROW_ISSUER]);
}

static void
tg_provider_form_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), TG_TYPE_PROVIDER_FORM);

  G_OBJECT_CLASS (tg_provider_form_parent_class)->dispose (object);
}

static void
tg_provider_form_finalize (GObject *object)
{
  TgProviderForm *self = TG_PROVIDER_FORM (object);

  for (guint i = 0; i < N_ROWS; i++)
    {
      /* The secret's copy is wiped, not only freed. */
      if (self->values[i] != NULL)
        explicit_bzero (self->values[i], strlen (self->values[i]));
      g_free (self->values[i]);
    }

  G_OBJECT_CLASS (tg_provider_form_parent_class)->finalize (object);
}

static void
tg_provider_form_class_init (TgProviderFormClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = tg_provider_form_dispose;
  object_class->finalize = tg_provider_form_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, "/dev/tokengate/Tokengate/tg-provider-form.ui");
  gtk_widget_class_bind_template_child_full (widget_class, "issuer_row", FALSE,
                                             G_STRUCT_OFFSET (TgProviderForm, rows[ROW_ISSUER]));
  gtk_widget_class_bind_template_child_full (widget_class, "client_id_row", FALSE,
                                             G_STRUCT_OFFSET (TgProviderForm, rows[ROW_CLIENT_ID]));
  gtk_widget_class_bind_template_child_full (widget_class, "secret_row", FALSE,
                                             G_STRUCT_OFFSET (TgProviderForm, rows[ROW_SECRET]));
  gtk_widget_class_bind_template_child_full (widget_class, "scope_row", FALSE,
                                             G_STRUCT_OFFSET (TgProviderForm, rows[ROW_SCOPE]));
  gtk_widget_class_bind_template_child_full (widget_class, "api_row", FALSE,
                                             G_STRUCT_OFFSET (TgProviderForm, rows[ROW_API]));
  gtk_widget_class_bind_template_child_full (widget_class, "path_row", FALSE,
                                             G_STRUCT_OFFSET (TgProviderForm, rows[ROW_PATH]));
}

static void
tg_provider_form_init (TgProviderForm *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  for (guint i = 0; i < N_ROWS; i++)
    g_signal_connect (self->rows[i], "changed", G_CALLBACK (on_row_changed), NULL);
}
