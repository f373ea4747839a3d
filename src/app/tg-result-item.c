/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One row of "Send requests": the post's "First resp / Second resp / Third
 * resp", for any number of requests. A plain GObject with notifying
 * properties, so that the row widget bound to it updates when the answer
 * arrives instead of the list being rebuilt.
 */
#define G_LOG_DOMAIN "tg-result-item"

#include "config.h"

#include "tg-result-item.h"

struct _TgResultItem
{
  GObject   parent_instance;

  guint     index;
  guint     status;     /* 0 until answered, and on error */
  guint     attempts;
  char     *text;       /* owned, nullable: the body or the error message */
  gboolean  finished;
  gboolean  failed;
};

G_DEFINE_FINAL_TYPE (TgResultItem, tg_result_item, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_INDEX,
  PROP_FINISHED,
  PROP_FAILED,
  PROP_STATUS,
  PROP_ATTEMPTS,
  PROP_TEXT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
tg_result_item_finalize (GObject *object)
{
  TgResultItem *self = TG_RESULT_ITEM (object);

  g_clear_pointer (&self->text, g_free);

  G_OBJECT_CLASS (tg_result_item_parent_class)->finalize (object);
}

static void
tg_result_item_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  TgResultItem *self = TG_RESULT_ITEM (object);

  switch (prop_id)
    {
    case PROP_INDEX:
      g_value_set_uint (value, self->index);
      break;
    case PROP_FINISHED:
      g_value_set_boolean (value, self->finished);
      break;
    case PROP_FAILED:
      g_value_set_boolean (value, self->failed);
      break;
    case PROP_STATUS:
      g_value_set_uint (value, self->status);
      break;
    case PROP_ATTEMPTS:
      g_value_set_uint (value, self->attempts);
      break;
    case PROP_TEXT:
      g_value_set_string (value, self->text);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tg_result_item_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  TgResultItem *self = TG_RESULT_ITEM (object);

  switch (prop_id)
    {
    case PROP_INDEX:
      self->index = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tg_result_item_class_init (TgResultItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags readable = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = tg_result_item_finalize;
  object_class->get_property = tg_result_item_get_property;
  object_class->set_property = tg_result_item_set_property;

  /**
   * TgResultItem:index:
   *
   * The request's place in its burst, from 1.
   */
  properties[PROP_INDEX] =
    g_param_spec_uint ("index", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * TgResultItem:finished:
   *
   * Whether the request has ended, with an answer or an error; %FALSE
   * again once restarted for a new burst.
   */
  properties[PROP_FINISHED] =
    g_param_spec_boolean ("finished", NULL, NULL, FALSE, readable);

  /**
   * TgResultItem:failed:
   *
   * Whether it ended without a successful answer.
   */
  properties[PROP_FAILED] =
    g_param_spec_boolean ("failed", NULL, NULL, FALSE, readable);

  /**
   * TgResultItem:status:
   *
   * The HTTP status of the last attempt; 0 until then and on errors.
   */
  properties[PROP_STATUS] =
    g_param_spec_uint ("status", NULL, NULL, 0, G_MAXUINT, 0, readable);

  /**
   * TgResultItem:attempts:
   *
   * 1, or 2 when the request was retried after a refresh.
   */
  properties[PROP_ATTEMPTS] =
    g_param_spec_uint ("attempts", NULL, NULL, 0, G_MAXUINT, 0, readable);

  /**
   * TgResultItem:text:
   *
   * The response body, or why the request failed.
   */
  properties[PROP_TEXT] =
    g_param_spec_string ("text", NULL, NULL, NULL, readable);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
tg_result_item_init (TgResultItem *self)
{
}

/**
 * tg_result_item_new:
 * @index: the request's place in its burst, from 1
 *
 * Returns: (transfer full): a result that is still waiting for its answer
 */
TgResultItem *
tg_result_item_new (guint index)
{
  return g_object_new (TG_TYPE_RESULT_ITEM, "index", index, NULL);
}

/* Everything an answer (or the wait for one) changes, notified once each,
 * "finished" last. */
static void
tg_result_item_set_state (TgResultItem *self,
                          guint         status,
                          guint         attempts,
                          const char   *text,
                          gboolean      failed,
                          gboolean      finished)
{
  GObject *object = G_OBJECT (self);

  /* Frozen, so that a row watching "finished" already sees the status and
   * text of the same answer. */
  g_object_freeze_notify (object);

  if (self->status != status)
    {
      self->status = status;
      g_object_notify_by_pspec (object, properties[PROP_STATUS]);
    }

  if (self->attempts != attempts)
    {
      self->attempts = attempts;
      g_object_notify_by_pspec (object, properties[PROP_ATTEMPTS]);
    }

  if (g_strcmp0 (self->text, text) != 0)
    {
      g_free (self->text);
      self->text = g_strdup (text);
      g_object_notify_by_pspec (object, properties[PROP_TEXT]);
    }

  if (self->failed != failed)
    {
      self->failed = failed;
      g_object_notify_by_pspec (object, properties[PROP_FAILED]);
    }

  if (self->finished != finished)
    {
      self->finished = finished;
      g_object_notify_by_pspec (object, properties[PROP_FINISHED]);
    }

  g_object_thaw_notify (object);
}

/**
 * tg_result_item_set_response:
 * @self: a #TgResultItem
 * @status: the HTTP status of the last attempt
 * @attempts: how many attempts it took
 * @text: (nullable): the body as text
 *
 * Records the answer. A status outside 2xx/3xx counts as failed.
 */
void
tg_result_item_set_response (TgResultItem *self,
                             guint         status,
                             guint         attempts,
                             const char   *text)
{
  g_return_if_fail (TG_IS_RESULT_ITEM (self));

  tg_result_item_set_state (self, status, attempts, text,
                            status < 200 || status >= 400, TRUE);
}

/**
 * tg_result_item_set_error:
 * @self: a #TgResultItem
 * @message: why the request failed
 *
 * Records that the request ended without a usable answer.
 */
void
tg_result_item_set_error (TgResultItem *self,
                          const char   *message)
{
  g_return_if_fail (TG_IS_RESULT_ITEM (self));

  tg_result_item_set_state (self, 0, self->attempts, message, TRUE, TRUE);
}

/**
 * tg_result_item_restart:
 * @self: a #TgResultItem
 *
 * Makes the result wait again, for the request of the same index in a new
 * burst: the window reuses its results from one burst to the next, so that
 * the list view rebinds the rows it has built instead of destroying them and
 * building new ones (a few hundred widgets, tens of milliseconds in one go).
 * Only for a result that has finished: its request must have ended.
 */
void
tg_result_item_restart (TgResultItem *self)
{
  g_return_if_fail (TG_IS_RESULT_ITEM (self));
  g_return_if_fail (self->finished);

  tg_result_item_set_state (self, 0, 0, NULL, FALSE, FALSE);
}

guint
tg_result_item_get_index (TgResultItem *self)
{
  g_return_val_if_fail (TG_IS_RESULT_ITEM (self), 0);
  return self->index;
}

gboolean
tg_result_item_get_finished (TgResultItem *self)
{
  g_return_val_if_fail (TG_IS_RESULT_ITEM (self), FALSE);
  return self->finished;
}

guint
tg_result_item_get_status (TgResultItem *self)
{
  g_return_val_if_fail (TG_IS_RESULT_ITEM (self), 0);
  return self->status;
}

guint
tg_result_item_get_attempts (TgResultItem *self)
{
  g_return_val_if_fail (TG_IS_RESULT_ITEM (self), 0);
  return self->attempts;
}

/**
 * tg_result_item_get_text:
 * @self: a #TgResultItem
 *
 * Returns: (transfer none) (nullable): the body or the error message, %NULL
 *   while waiting
 */
const char *
tg_result_item_get_text (TgResultItem *self)
{
  g_return_val_if_fail (TG_IS_RESULT_ITEM (self), NULL);
  return self->text;
}

/**
 * tg_result_item_get_failed:
 * @self: a #TgResultItem
 *
 * Returns: whether the request ended with an error or a status outside
 *   2xx/3xx; %FALSE while it is still waiting
 */
gboolean
tg_result_item_get_failed (TgResultItem *self)
{
  g_return_val_if_fail (TG_IS_RESULT_ITEM (self), FALSE);
  return self->failed;
}
