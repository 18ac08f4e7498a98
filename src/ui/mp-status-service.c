/* mp-status-service.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "mp-status-service"

#include "config.h"

#include "mp-status-service.h"

#include "mp-mailbox.h"
#include "mp-status-dbus.h"
#include "mp-ui-util.h"

/* Mailbox properties change in bursts (a poll updates counts, status,
 * last-checked and busy one after the other); recomputing once per burst
 * keeps status bars from seeing the intermediate states.
 */

struct _MpStatusService
{
  GObject       parent_instance;

  GListModel   *mailboxes;
  GPtrArray    *watched;        /* MpMailbox we hold a notify handler on */
  MpDBusStatus *skeleton;
  guint         update_id;
  gboolean      do_not_disturb;
};

G_DEFINE_FINAL_TYPE (MpStatusService, mp_status_service, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_MAILBOXES,
  PROP_DO_NOT_DISTURB,
  N_PROPS
};

enum {
  SIGNAL_CHECK_NOW,
  SIGNAL_SHOW_MESSAGES,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* D-Bus has no maybe type: a member that is nothing (JSON null) is left
 * out, a member that is just a value is that value.
 */
static GVariant *
summary_for_dbus (GVariant *summary)
{
  GVariantBuilder builder;
  GVariantIter iter;
  const char *key;
  GVariant *value;

  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  g_variant_iter_init (&iter, summary);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &value))
    {
      if (g_variant_is_of_type (value, G_VARIANT_TYPE_MAYBE))
        {
          g_autoptr(GVariant) inner = g_variant_get_maybe (value);

          if (inner != NULL)
            g_variant_builder_add (&builder, "{sv}", key, inner);
        }
      else
        {
          g_variant_builder_add (&builder, "{sv}", key, value);
        }
      g_variant_unref (value);
    }

  return g_variant_builder_end (&builder);
}

static void
update (MpStatusService *self)
{
  GVariantBuilder builder;
  guint total = 0;
  guint total_new = 0;
  guint n = g_list_model_get_n_items (self->mailboxes);

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(MpMailbox) mailbox = g_list_model_get_item (self->mailboxes, i);
      g_autoptr(GVariant) summary = mp_mailbox_dup_summary (mailbox, FALSE);

      if (summary != NULL && g_variant_is_of_type (summary, G_VARIANT_TYPE_VARDICT))
        g_variant_builder_add_value (&builder, summary_for_dbus (summary));
      total += mp_mailbox_get_n_messages (mailbox);
      total_new += mp_mailbox_get_n_new (mailbox);
    }

  /* The skeleton compares with the old values and only announces what
   * really changed in PropertiesChanged.
   */
  mp_dbus_status_set_accounts (self->skeleton, g_variant_builder_end (&builder));
  mp_dbus_status_set_total_messages (self->skeleton, total);
  mp_dbus_status_set_total_new (self->skeleton, total_new);
}

static gboolean
update_idle_cb (gpointer user_data)
{
  MpStatusService *self = user_data;

  self->update_id = 0;
  update (self);

  return G_SOURCE_REMOVE;
}

static void
queue_update (MpStatusService *self)
{
  if (self->update_id == 0)
    self->update_id = g_idle_add (update_idle_cb, self);
}

static void
mailbox_notify_cb (MpMailbox       *mailbox,
                   GParamSpec      *pspec,
                   MpStatusService *self)
{
  queue_update (self);
}

static void
mailboxes_changed_cb (GListModel      *model,
                      guint            position,
                      guint            removed,
                      guint            added,
                      MpStatusService *self)
{
  mp_watch_items (self->watched, model, "notify", G_CALLBACK (mailbox_notify_cb), self);
  queue_update (self);
}

static gboolean
handle_check_now_cb (MpDBusStatus          *skeleton,
                     GDBusMethodInvocation *invocation,
                     MpStatusService       *self)
{
  g_signal_emit (self, signals[SIGNAL_CHECK_NOW], 0);
  mp_dbus_status_complete_check_now (skeleton, invocation);

  return TRUE;
}

static gboolean
handle_show_messages_cb (MpDBusStatus          *skeleton,
                         GDBusMethodInvocation *invocation,
                         MpStatusService       *self)
{
  g_signal_emit (self, signals[SIGNAL_SHOW_MESSAGES], 0);
  mp_dbus_status_complete_show_messages (skeleton, invocation);

  return TRUE;
}

static void
skeleton_dnd_notify_cb (MpDBusStatus    *skeleton,
                        GParamSpec      *pspec,
                        MpStatusService *self)
{
  mp_status_service_set_do_not_disturb (self, mp_dbus_status_get_do_not_disturb (skeleton));
}

static void
mp_status_service_constructed (GObject *object)
{
  MpStatusService *self = MP_STATUS_SERVICE (object);

  G_OBJECT_CLASS (mp_status_service_parent_class)->constructed (object);

  g_signal_connect_object (self->mailboxes, "items-changed",
                           G_CALLBACK (mailboxes_changed_cb), self, 0);
  mailboxes_changed_cb (self->mailboxes, 0, 0, 0, self);
  g_clear_handle_id (&self->update_id, g_source_remove);
  update (self);
}

static void
mp_status_service_dispose (GObject *object)
{
  MpStatusService *self = MP_STATUS_SERVICE (object);

  mp_status_service_unexport (self);
  g_clear_handle_id (&self->update_id, g_source_remove);
  if (self->watched != NULL)
    mp_unwatch_items (self->watched, G_CALLBACK (mailbox_notify_cb), self);
  if (self->skeleton != NULL)
    g_signal_handlers_disconnect_by_data (self->skeleton, self);
  g_clear_object (&self->skeleton);
  g_clear_object (&self->mailboxes);

  G_OBJECT_CLASS (mp_status_service_parent_class)->dispose (object);
}

static void
mp_status_service_finalize (GObject *object)
{
  MpStatusService *self = MP_STATUS_SERVICE (object);

  g_clear_pointer (&self->watched, g_ptr_array_unref);

  G_OBJECT_CLASS (mp_status_service_parent_class)->finalize (object);
}

static void
mp_status_service_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  MpStatusService *self = MP_STATUS_SERVICE (object);

  switch (prop_id)
    {
    case PROP_MAILBOXES:
      g_value_set_object (value, self->mailboxes);
      break;
    case PROP_DO_NOT_DISTURB:
      g_value_set_boolean (value, self->do_not_disturb);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mp_status_service_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  MpStatusService *self = MP_STATUS_SERVICE (object);

  switch (prop_id)
    {
    case PROP_MAILBOXES:
      self->mailboxes = g_value_dup_object (value);
      break;
    case PROP_DO_NOT_DISTURB:
      mp_status_service_set_do_not_disturb (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mp_status_service_class_init (MpStatusServiceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = mp_status_service_constructed;
  object_class->dispose = mp_status_service_dispose;
  object_class->finalize = mp_status_service_finalize;
  object_class->get_property = mp_status_service_get_property;
  object_class->set_property = mp_status_service_set_property;

  properties[PROP_MAILBOXES] =
    g_param_spec_object ("mailboxes", NULL, NULL,
                         G_TYPE_LIST_MODEL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DO_NOT_DISTURB] =
    g_param_spec_boolean ("do-not-disturb", NULL, NULL,
                          FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_CHECK_NOW] =
    g_signal_new ("check-now", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_SHOW_MESSAGES] =
    g_signal_new ("show-messages", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
mp_status_service_init (MpStatusService *self)
{
  self->watched = g_ptr_array_new_with_free_func (g_object_unref);
  self->skeleton = mp_dbus_status_skeleton_new ();
  g_signal_connect (self->skeleton, "handle-check-now",
                    G_CALLBACK (handle_check_now_cb), self);
  g_signal_connect (self->skeleton, "handle-show-messages",
                    G_CALLBACK (handle_show_messages_cb), self);
  g_signal_connect (self->skeleton, "notify::do-not-disturb",
                    G_CALLBACK (skeleton_dnd_notify_cb), self);
}

/**
 * mp_status_service_new:
 * @mailboxes: a #GListModel of #MpMailbox
 *
 * Returns: (transfer full): a service, not yet exported
 */
MpStatusService *
mp_status_service_new (GListModel *mailboxes)
{
  g_return_val_if_fail (G_IS_LIST_MODEL (mailboxes), NULL);

  return g_object_new (MP_TYPE_STATUS_SERVICE, "mailboxes", mailboxes, NULL);
}

/**
 * mp_status_service_export:
 * @connection: the bus connection (the application's, or a test's)
 * @object_path: where, normally %MP_STATUS_SERVICE_PATH
 *
 * Returns: whether the object was exported
 */
gboolean
mp_status_service_export (MpStatusService  *self,
                          GDBusConnection  *connection,
                          const char       *object_path,
                          GError          **error)
{
  g_return_val_if_fail (MP_IS_STATUS_SERVICE (self), FALSE);
  g_return_val_if_fail (G_IS_DBUS_CONNECTION (connection), FALSE);

  return g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (self->skeleton),
                                           connection, object_path, error);
}

void
mp_status_service_unexport (MpStatusService *self)
{
  g_return_if_fail (MP_IS_STATUS_SERVICE (self));

  if (self->skeleton != NULL &&
      g_dbus_interface_skeleton_get_connection (G_DBUS_INTERFACE_SKELETON (self->skeleton)) != NULL)
    g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (self->skeleton));
}

gboolean
mp_status_service_get_do_not_disturb (MpStatusService *self)
{
  g_return_val_if_fail (MP_IS_STATUS_SERVICE (self), FALSE);

  return self->do_not_disturb;
}

void
mp_status_service_set_do_not_disturb (MpStatusService *self,
                                      gboolean         do_not_disturb)
{
  g_return_if_fail (MP_IS_STATUS_SERVICE (self));

  do_not_disturb = !!do_not_disturb;
  /* Keep the D-Bus side in step whichever side changed first. */
  if (mp_dbus_status_get_do_not_disturb (self->skeleton) != do_not_disturb)
    mp_dbus_status_set_do_not_disturb (self->skeleton, do_not_disturb);
  if (self->do_not_disturb == do_not_disturb)
    return;
  self->do_not_disturb = do_not_disturb;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DO_NOT_DISTURB]);
}
