/* mp-message-list-model.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "mp-message-list-model"

#include "config.h"

#include "mp-message.h"
#include "mp-message-list-model.h"

/* One part: a mailbox, its handler, and how many items it had when it
 * last told us (so that offsets are right while it emits). */
typedef struct
{
  MpMessageListModel *self;
  GListModel         *model;
  gulong              items_changed_id;
  guint               n_items;
} Part;

struct _MpMessageListModel
{
  GObject     parent_instance;

  GListModel *mailboxes;
  gulong      items_changed_id;
  GPtrArray  *parts;
  guint       n_items;
};

static void mp_message_list_model_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MpMessageListModel, mp_message_list_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      mp_message_list_model_list_model_init))

enum {
  PROP_0,
  PROP_MAILBOXES,
  PROP_N_ITEMS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
part_free (gpointer data)
{
  Part *part = data;

  g_clear_signal_handler (&part->items_changed_id, part->model);
  g_clear_object (&part->model);
  g_free (part);
}

static guint
part_offset (MpMessageListModel *self,
             Part               *part)
{
  guint offset = 0;

  for (guint i = 0; i < self->parts->len; i++)
    {
      Part *p = g_ptr_array_index (self->parts, i);

      if (p == part)
        break;
      offset += p->n_items;
    }
  return offset;
}

static void
emit_items_changed (MpMessageListModel *self,
                    guint               position,
                    guint               removed,
                    guint               added)
{
  if (removed == 0 && added == 0)
    return;
  g_list_model_items_changed (G_LIST_MODEL (self), position, removed, added);
  if (removed != added)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

static void
part_items_changed_cb (GListModel *model,
                       guint       position,
                       guint       removed,
                       guint       added,
                       Part       *part)
{
  MpMessageListModel *self = part->self;
  guint offset = part_offset (self, part);

  part->n_items = part->n_items - removed + added;
  self->n_items = self->n_items - removed + added;
  emit_items_changed (self, offset + position, removed, added);
}

static Part *
part_new (MpMessageListModel *self,
          GListModel         *model)
{
  Part *part = g_new0 (Part, 1);

  part->self = self;
  part->model = g_object_ref (model);
  part->n_items = g_list_model_get_n_items (model);
  part->items_changed_id = g_signal_connect (model, "items-changed",
                                             G_CALLBACK (part_items_changed_cb), part);
  return part;
}

static void
mailboxes_items_changed_cb (GListModel         *mailboxes,
                            guint               position,
                            guint               removed,
                            guint               added,
                            MpMessageListModel *self)
{
  guint offset = 0;
  guint n_removed = 0;
  guint n_added = 0;

  for (guint i = 0; i < position; i++)
    offset += ((Part *) g_ptr_array_index (self->parts, i))->n_items;
  for (guint i = 0; i < removed; i++)
    n_removed += ((Part *) g_ptr_array_index (self->parts, position + i))->n_items;
  g_ptr_array_remove_range (self->parts, position, removed);

  for (guint i = 0; i < added; i++)
    {
      g_autoptr(GListModel) model = g_list_model_get_item (mailboxes, position + i);
      Part *part = part_new (self, model);

      n_added += part->n_items;
      g_ptr_array_insert (self->parts, position + i, part);
    }

  self->n_items = self->n_items - n_removed + n_added;
  emit_items_changed (self, offset, n_removed, n_added);
}

static void
mp_message_list_model_set_mailboxes (MpMessageListModel *self,
                                     GListModel         *mailboxes)
{
  g_return_if_fail (self->mailboxes == NULL);

  if (mailboxes == NULL)
    return;
  self->mailboxes = g_object_ref (mailboxes);
  self->items_changed_id = g_signal_connect (mailboxes, "items-changed",
                                             G_CALLBACK (mailboxes_items_changed_cb), self);
  mailboxes_items_changed_cb (mailboxes, 0, 0, g_list_model_get_n_items (mailboxes), self);
}

/* GListModel */

static GType
mp_message_list_model_get_item_type (GListModel *model)
{
  return MP_TYPE_MESSAGE;
}

static guint
mp_message_list_model_get_n_items (GListModel *model)
{
  return MP_MESSAGE_LIST_MODEL (model)->n_items;
}

static gpointer
mp_message_list_model_get_item (GListModel *model,
                                guint       position)
{
  MpMessageListModel *self = MP_MESSAGE_LIST_MODEL (model);

  for (guint i = 0; i < self->parts->len; i++)
    {
      Part *part = g_ptr_array_index (self->parts, i);

      if (position < part->n_items)
        return g_list_model_get_item (part->model, position);
      position -= part->n_items;
    }
  return NULL;
}

static void
mp_message_list_model_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = mp_message_list_model_get_item_type;
  iface->get_n_items = mp_message_list_model_get_n_items;
  iface->get_item = mp_message_list_model_get_item;
}

/* GObject */

static void
mp_message_list_model_dispose (GObject *object)
{
  MpMessageListModel *self = MP_MESSAGE_LIST_MODEL (object);

  if (self->mailboxes != NULL)
    g_clear_signal_handler (&self->items_changed_id, self->mailboxes);
  g_clear_object (&self->mailboxes);
  if (self->parts != NULL)
    g_ptr_array_set_size (self->parts, 0);
  self->n_items = 0;

  G_OBJECT_CLASS (mp_message_list_model_parent_class)->dispose (object);
}

static void
mp_message_list_model_finalize (GObject *object)
{
  MpMessageListModel *self = MP_MESSAGE_LIST_MODEL (object);

  g_clear_pointer (&self->parts, g_ptr_array_unref);

  G_OBJECT_CLASS (mp_message_list_model_parent_class)->finalize (object);
}

static void
mp_message_list_model_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  MpMessageListModel *self = MP_MESSAGE_LIST_MODEL (object);

  switch (prop_id)
    {
    case PROP_MAILBOXES:
      g_value_set_object (value, self->mailboxes);
      break;
    case PROP_N_ITEMS:
      g_value_set_uint (value, self->n_items);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mp_message_list_model_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  MpMessageListModel *self = MP_MESSAGE_LIST_MODEL (object);

  switch (prop_id)
    {
    case PROP_MAILBOXES:
      mp_message_list_model_set_mailboxes (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mp_message_list_model_class_init (MpMessageListModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mp_message_list_model_dispose;
  object_class->finalize = mp_message_list_model_finalize;
  object_class->get_property = mp_message_list_model_get_property;
  object_class->set_property = mp_message_list_model_set_property;

  properties[PROP_MAILBOXES] =
    g_param_spec_object ("mailboxes", NULL, NULL,
                         G_TYPE_LIST_MODEL,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));
  properties[PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
mp_message_list_model_init (MpMessageListModel *self)
{
  self->parts = g_ptr_array_new_with_free_func (part_free);
}

/**
 * mp_message_list_model_new:
 * @mailboxes: a #GListModel of #GListModels of #MpMessage
 *
 * Returns: (transfer full): their messages, one list after the other
 */
MpMessageListModel *
mp_message_list_model_new (GListModel *mailboxes)
{
  g_return_val_if_fail (G_IS_LIST_MODEL (mailboxes), NULL);

  return g_object_new (MP_TYPE_MESSAGE_LIST_MODEL, "mailboxes", mailboxes, NULL);
}

/**
 * mp_message_list_model_get_mailboxes:
 *
 * Returns: (transfer none): the list of mailboxes
 */
GListModel *
mp_message_list_model_get_mailboxes (MpMessageListModel *self)
{
  g_return_val_if_fail (MP_IS_MESSAGE_LIST_MODEL (self), NULL);

  return self->mailboxes;
}
