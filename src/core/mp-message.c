/* mp-message.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "mp-message"

#include "config.h"

#include "mp-message-private.h"

/* One message of a mailbox, as a widget binds to it. Only the core changes
 * it (mp-message-private.h), and every setter compares before it notifies:
 * a poll that finds a message unchanged must not make a list row redraw.
 */

struct _MpMessage
{
  GObject    parent_instance;

  char      *key;
  char      *uid;
  guint      number;
  guint64    size;
  MpHeaders *headers;
  char      *snippet;
  GError    *error;
  /* Not a GObject weak pointer: a mailbox of 10,000 messages would pay
   * GLib's linear search per message removed (40 ms for all of them).
   * The mailbox clears it instead, when a message leaves its list and
   * when it is disposed.
   */
  GObject   *mailbox;
  guint      announced : 1;
  guint      unseen : 1;
};

G_DEFINE_FINAL_TYPE (MpMessage, mp_message, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_KEY,
  PROP_UID,
  PROP_NUMBER,
  PROP_SIZE,
  PROP_FROM,
  PROP_FROM_NAME,
  PROP_FROM_ADDRESS,
  PROP_TO,
  PROP_SUBJECT,
  PROP_DATE,
  PROP_MESSAGE_ID,
  PROP_HEADERS,
  PROP_ANNOUNCED,
  PROP_UNSEEN,
  PROP_SNIPPET,
  PROP_ERROR,
  PROP_MAILBOX,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

static void
mp_message_finalize (GObject *object)
{
  MpMessage *self = (MpMessage *)object;

  g_free (self->key);
  g_free (self->uid);
  g_clear_pointer (&self->headers, mp_headers_unref);
  g_free (self->snippet);
  g_clear_error (&self->error);

  G_OBJECT_CLASS (mp_message_parent_class)->finalize (object);
}

static void
mp_message_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  MpMessage *self = MP_MESSAGE (object);

  switch (prop_id)
    {
    case PROP_KEY:
      g_value_set_string (value, self->key);
      break;
    case PROP_UID:
      g_value_set_string (value, self->uid);
      break;
    case PROP_NUMBER:
      g_value_set_uint (value, self->number);
      break;
    case PROP_SIZE:
      g_value_set_uint64 (value, self->size);
      break;
    case PROP_FROM:
      g_value_set_string (value, mp_message_get_from (self));
      break;
    case PROP_FROM_NAME:
      g_value_set_string (value, mp_message_get_from_name (self));
      break;
    case PROP_FROM_ADDRESS:
      g_value_set_string (value, mp_message_get_from_address (self));
      break;
    case PROP_TO:
      g_value_set_string (value, mp_message_get_to (self));
      break;
    case PROP_SUBJECT:
      g_value_set_string (value, mp_message_get_subject (self));
      break;
    case PROP_DATE:
      g_value_set_boxed (value, mp_message_get_date (self));
      break;
    case PROP_MESSAGE_ID:
      g_value_set_string (value, mp_message_get_message_id (self));
      break;
    case PROP_HEADERS:
      g_value_set_boxed (value, self->headers);
      break;
    case PROP_ANNOUNCED:
      g_value_set_boolean (value, self->announced);
      break;
    case PROP_UNSEEN:
      g_value_set_boolean (value, self->unseen);
      break;
    case PROP_SNIPPET:
      g_value_set_string (value, self->snippet);
      break;
    case PROP_ERROR:
      g_value_set_boxed (value, self->error);
      break;
    case PROP_MAILBOX:
      g_value_set_object (value, self->mailbox);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static GParamSpec *
string_property (const char *name)
{
  return g_param_spec_string (name, NULL, NULL, NULL,
                              G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY |
                              G_PARAM_STATIC_STRINGS);
}

static void
mp_message_class_init (MpMessageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = mp_message_finalize;
  object_class->get_property = mp_message_get_property;

  properties[PROP_KEY] = string_property ("key");
  properties[PROP_UID] = string_property ("uid");
  properties[PROP_NUMBER] =
    g_param_spec_uint ("number", NULL, NULL, 0, G_MAXUINT, 0, flags);
  properties[PROP_SIZE] =
    g_param_spec_uint64 ("size", NULL, NULL, 0, G_MAXUINT64, 0, flags);
  properties[PROP_FROM] = string_property ("from");
  properties[PROP_FROM_NAME] = string_property ("from-name");
  properties[PROP_FROM_ADDRESS] = string_property ("from-address");
  properties[PROP_TO] = string_property ("to");
  properties[PROP_SUBJECT] = string_property ("subject");
  properties[PROP_DATE] =
    g_param_spec_boxed ("date", NULL, NULL, G_TYPE_DATE_TIME, flags);
  properties[PROP_MESSAGE_ID] = string_property ("message-id");
  properties[PROP_HEADERS] =
    g_param_spec_boxed ("headers", NULL, NULL, MP_TYPE_HEADERS, flags);
  properties[PROP_ANNOUNCED] =
    g_param_spec_boolean ("announced", NULL, NULL, FALSE, flags);
  properties[PROP_UNSEEN] =
    g_param_spec_boolean ("unseen", NULL, NULL, FALSE, flags);
  properties[PROP_SNIPPET] = string_property ("snippet");
  properties[PROP_ERROR] =
    g_param_spec_boxed ("error", NULL, NULL, G_TYPE_ERROR, flags);
  /* G_TYPE_OBJECT rather than MP_TYPE_MAILBOX: a message must not need the
   * mailbox class to exist (the mailbox owns messages, not the reverse).
   */
  properties[PROP_MAILBOX] =
    g_param_spec_object ("mailbox", NULL, NULL, G_TYPE_OBJECT, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
mp_message_init (MpMessage *self)
{
}

/**
 * mp_message_new:
 * @key: the key (see #MpMessage:key)
 * @uid: (nullable): the UIDL unique-id
 * @headers: (nullable) (transfer none): the decoded headers; a reference
 *   is taken
 *
 * Returns: (transfer full): a message that belongs to no mailbox yet
 */
MpMessage *
mp_message_new (const char *key,
                const char *uid,
                guint       number,
                guint64     size,
                MpHeaders  *headers)
{
  MpMessage *self;

  g_return_val_if_fail (key != NULL, NULL);

  self = g_object_new (MP_TYPE_MESSAGE, NULL);
  self->key = g_strdup (key);
  self->uid = g_strdup (uid);
  self->number = number;
  self->size = size;
  self->headers = headers ? mp_headers_ref (headers) : NULL;
  return self;
}

const char *
mp_message_get_key (MpMessage *self)
{
  g_return_val_if_fail (MP_IS_MESSAGE (self), NULL);
  return self->key;
}

const char *
mp_message_get_uid (MpMessage *self)
{
  g_return_val_if_fail (MP_IS_MESSAGE (self), NULL);
  return self->uid;
}

guint
mp_message_get_number (MpMessage *self)
{
  g_return_val_if_fail (MP_IS_MESSAGE (self), 0);
  return self->number;
}

guint64
mp_message_get_size (MpMessage *self)
{
  g_return_val_if_fail (MP_IS_MESSAGE (self), 0);
  return self->size;
}

const char *
mp_message_get_from (MpMessage *self)
{
  g_return_val_if_fail (MP_IS_MESSAGE (self), NULL);
  return self->headers ? self->headers->from : NULL;
}

const char *
mp_message_get_from_name (MpMessage *self)
{
  g_return_val_if_fail (MP_IS_MESSAGE (self), NULL);
  return self->headers ? self->headers->from_name : NULL;
}

const char *
mp_message_get_from_address (MpMessage *self)
{
  g_return_val_if_fail (MP_IS_MESSAGE (self), NULL);
  return self->headers ? self->headers->from_address : NULL;
}

const char *
mp_message_get_to (MpMessage *self)
{
  g_return_val_if_fail (MP_IS_MESSAGE (self), NULL);
  return self->headers ? self->headers->to : NULL;
}

const char *
mp_message_get_subject (MpMessage *self)
{
  g_return_val_if_fail (MP_IS_MESSAGE (self), NULL);
  return self->headers ? self->headers->subject : NULL;
}

const char *
mp_message_get_message_id (MpMessage *self)
{
  g_return_val_if_fail (MP_IS_MESSAGE (self), NULL);
  return self->headers ? self->headers->message_id : NULL;
}

/**
 * mp_message_get_date:
 *
 * Returns: (transfer none) (nullable): the Date header
 */
GDateTime *
mp_message_get_date (MpMessage *self)
{
  g_return_val_if_fail (MP_IS_MESSAGE (self), NULL);
  return self->headers ? self->headers->date : NULL;
}

/**
 * mp_message_get_headers:
 *
 * Returns: (transfer none) (nullable): all decoded headers, %NULL until
 *   they were fetched
 */
const MpHeaders *
mp_message_get_headers (MpMessage *self)
{
  g_return_val_if_fail (MP_IS_MESSAGE (self), NULL);
  return self->headers;
}

gboolean
mp_message_get_announced (MpMessage *self)
{
  g_return_val_if_fail (MP_IS_MESSAGE (self), FALSE);
  return self->announced;
}

gboolean
mp_message_get_unseen (MpMessage *self)
{
  g_return_val_if_fail (MP_IS_MESSAGE (self), FALSE);
  return self->unseen;
}

const char *
mp_message_get_snippet (MpMessage *self)
{
  g_return_val_if_fail (MP_IS_MESSAGE (self), NULL);
  return self->snippet;
}

/**
 * mp_message_get_error:
 *
 * Returns: (transfer none) (nullable): why the headers are not available
 */
const GError *
mp_message_get_error (MpMessage *self)
{
  g_return_val_if_fail (MP_IS_MESSAGE (self), NULL);
  return self->error;
}

/**
 * mp_message_get_mailbox:
 *
 * Returns: (transfer none) (nullable) (type MpMailbox): the mailbox that
 *   holds the message, %NULL once it is gone
 */
gpointer
mp_message_get_mailbox (MpMessage *self)
{
  g_return_val_if_fail (MP_IS_MESSAGE (self), NULL);
  return self->mailbox;
}

/* Setters (mp-message-private.h) */

/**
 * mp_message_set_mailbox:
 * @mailbox: (nullable): the mailbox whose list now holds the message
 *
 * Not a reference: the mailbox sets %NULL again when the message leaves
 * its list and when the mailbox is disposed, so #MpMessage:mailbox is
 * %NULL once the mailbox is gone.
 */
void
mp_message_set_mailbox (MpMessage *self,
                        gpointer   mailbox)
{
  g_return_if_fail (MP_IS_MESSAGE (self));
  g_return_if_fail (mailbox == NULL || G_IS_OBJECT (mailbox));

  if (self->mailbox == mailbox)
    return;
  self->mailbox = mailbox;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAILBOX]);
}

void
mp_message_set_number (MpMessage *self,
                       guint      number)
{
  g_return_if_fail (MP_IS_MESSAGE (self));

  if (self->number == number)
    return;
  self->number = number;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NUMBER]);
}

void
mp_message_set_size (MpMessage *self,
                     guint64    size)
{
  g_return_if_fail (MP_IS_MESSAGE (self));

  if (self->size == size)
    return;
  self->size = size;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SIZE]);
}

static gboolean
same_date (GDateTime *a,
           GDateTime *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  return g_date_time_equal (a, b);
}

/**
 * mp_message_set_headers:
 * @headers: (nullable) (transfer none): a reference is taken
 *
 * Notifies "headers" and each single header property whose value differs;
 * headers equal in content to the current ones notify nothing.
 */
void
mp_message_set_headers (MpMessage *self,
                        MpHeaders *headers)
{
  static const struct {
    guint  prop;
    gsize  offset;
  } strings[] = {
    { PROP_FROM, G_STRUCT_OFFSET (MpHeaders, from) },
    { PROP_FROM_NAME, G_STRUCT_OFFSET (MpHeaders, from_name) },
    { PROP_FROM_ADDRESS, G_STRUCT_OFFSET (MpHeaders, from_address) },
    { PROP_TO, G_STRUCT_OFFSET (MpHeaders, to) },
    { PROP_SUBJECT, G_STRUCT_OFFSET (MpHeaders, subject) },
    { PROP_MESSAGE_ID, G_STRUCT_OFFSET (MpHeaders, message_id) },
  };
  MpHeaders *old;
  gboolean changed = FALSE;

  g_return_if_fail (MP_IS_MESSAGE (self));

  if (self->headers == headers)
    return;

  old = g_steal_pointer (&self->headers);
  self->headers = headers ? mp_headers_ref (headers) : NULL;

  g_object_freeze_notify (G_OBJECT (self));

  for (guint i = 0; i < G_N_ELEMENTS (strings); i++)
    {
      const char *a = old ? G_STRUCT_MEMBER (const char *, old, strings[i].offset) : NULL;
      const char *b = headers ? G_STRUCT_MEMBER (const char *, headers, strings[i].offset) : NULL;

      if (g_strcmp0 (a, b) != 0)
        {
          g_object_notify_by_pspec (G_OBJECT (self), properties[strings[i].prop]);
          changed = TRUE;
        }
    }

  if (!same_date (old ? old->date : NULL, headers ? headers->date : NULL))
    {
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DATE]);
      changed = TRUE;
    }

  /* NULL and a header block with every field missing are different
   * things to a row that shows "loading…".
   */
  if (changed || (old == NULL) != (headers == NULL))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HEADERS]);

  g_object_thaw_notify (G_OBJECT (self));

  g_clear_pointer (&old, mp_headers_unref);
}

void
mp_message_set_announced (MpMessage *self,
                          gboolean   announced)
{
  g_return_if_fail (MP_IS_MESSAGE (self));

  announced = !!announced;
  if (self->announced == (guint) announced)
    return;
  self->announced = announced;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ANNOUNCED]);
}

void
mp_message_set_unseen (MpMessage *self,
                       gboolean   unseen)
{
  g_return_if_fail (MP_IS_MESSAGE (self));

  unseen = !!unseen;
  if (self->unseen == (guint) unseen)
    return;
  self->unseen = unseen;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UNSEEN]);
}

void
mp_message_set_snippet (MpMessage  *self,
                        const char *snippet)
{
  g_return_if_fail (MP_IS_MESSAGE (self));

  if (g_strcmp0 (self->snippet, snippet) == 0)
    return;
  g_free (self->snippet);
  self->snippet = g_strdup (snippet);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SNIPPET]);
}

static gboolean
same_error (const GError *a,
            const GError *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  return a->domain == b->domain && a->code == b->code &&
         g_strcmp0 (a->message, b->message) == 0;
}

void
mp_message_set_error (MpMessage    *self,
                      const GError *error)
{
  g_return_if_fail (MP_IS_MESSAGE (self));

  if (same_error (self->error, error))
    return;
  g_clear_error (&self->error);
  self->error = error ? g_error_copy (error) : NULL;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
}
