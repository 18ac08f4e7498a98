/* mp-mailbox-summary.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One mailbox as the per-account object of `mailpeek --check --json`, for
 * the command line (through json_gvariant_serialize()) and the D-Bus
 * status interface alike, so the two can never disagree.
 */

#define G_LOG_DOMAIN "mp-mailbox"

#include "config.h"

#include "mp-core-enums.h"
#include "mp-mailbox-private.h"

/* The summary */

static GVariant *
maybe_string (const char *value)
{
  return g_variant_new_maybe (G_VARIANT_TYPE_STRING,
                              value ? g_variant_new_string (value) : NULL);
}

/* One member of an `a{sv}`: what g_variant_builder_add (b, "{sv}", …)
 * does, without parsing the format string again for each of the dozen
 * members of each of thousands of messages.
 */
static void
add_member (GVariantBuilder *builder,
            const char      *key,
            GVariant        *value)
{
  g_variant_builder_add_value (builder,
                               g_variant_new_dict_entry (g_variant_new_string (key),
                                                         g_variant_new_variant (value)));
}

static GVariant *
message_summary (MpMailbox *self,
                 MpMessage *message)
{
  GVariantBuilder builder;
  g_autofree char *date = NULL;
  const MpHeaders *h = mp_message_get_headers (message);
  const GError *error = mp_message_get_error (message);

  if (h != NULL)
    date = mp_headers_format_date_iso8601 (h);

  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  add_member (&builder, "number", g_variant_new_uint32 (mp_message_get_number (message)));
  add_member (&builder, "uidl", maybe_string (mp_message_get_uid (message)));
  add_member (&builder, "size", g_variant_new_uint64 (mp_message_get_size (message)));
  add_member (&builder, "new", g_variant_new_boolean (mp_mailbox_message_is_new (self, message)));
  add_member (&builder, "from", maybe_string (mp_message_get_from (message)));
  add_member (&builder, "from_name", maybe_string (mp_message_get_from_name (message)));
  add_member (&builder, "from_address", maybe_string (mp_message_get_from_address (message)));
  add_member (&builder, "to", maybe_string (mp_message_get_to (message)));
  add_member (&builder, "subject", maybe_string (mp_message_get_subject (message)));
  add_member (&builder, "date", maybe_string (date));
  add_member (&builder, "message_id", maybe_string (mp_message_get_message_id (message)));
  if (error != NULL)
    add_member (&builder, "error", maybe_string (error->message));
  return g_variant_builder_end (&builder);
}

/**
 * mp_mailbox_dup_summary:
 * @with_headers: whether to include the "headers" array
 *
 * The per-account object of `mailpeek --check --json` as a `a{sv}`, for
 * json_gvariant_serialize() and the D-Bus status interface, so the two
 * never disagree. Members, in the order of the JSON: account (s, the
 * label user@host:port), name (ms, %NULL for a `--url` mailbox), status
 * (s, "ok" or "error"), error (ms), messages (mu, STAT's count), bytes
 * (mt, STAT's size), new (mu), and after a successful check pipelining
 * (b), uidl (b) and top (b, %FALSE for a server without TOP); then headers (aa{sv}: number u, uidl ms, size t,
 * new b, from, from_name, from_address, to, subject ms, date ms in ISO
 * 8601 UTC, message_id ms, and error s only for a message whose headers
 * failed); and finally, not in the JSON of before, unseen (mu) and state
 * (s, the #MpMailboxStatus nick). messages, bytes, new and unseen are
 * nothing (JSON null) until a check succeeded and while the last one
 * failed; headers is then empty.
 *
 * Returns: (transfer full): a floating-free `a{sv}` variant
 */
GVariant *
mp_mailbox_dup_summary (MpMailbox *self,
                        gboolean   with_headers)
{
  GVariantBuilder builder;
  g_autofree char *label = NULL;
  g_autoptr(GEnumClass) enum_class = NULL;
  const GEnumValue *nick;
  const char *name = NULL;
  gboolean listed;

  g_return_val_if_fail (MP_IS_MAILBOX (self), NULL);

  label = mp_account_dup_label (self->account);
  if (mp_account_get_settings (self->account) != NULL)
    name = mp_account_get_name (self->account);
  listed = self->have_listing && self->error == NULL;

  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  add_member (&builder, "account", g_variant_new_string (label));
  add_member (&builder, "name", maybe_string (name));
  add_member (&builder, "status",
                         g_variant_new_string (self->error ? "error" : "ok"));
  add_member (&builder, "error",
                         maybe_string (self->error ? self->error->message : NULL));
  add_member (&builder, "messages",
                         g_variant_new_maybe (G_VARIANT_TYPE_UINT32,
                                              listed ? g_variant_new_uint32 (self->stat_count) : NULL));
  add_member (&builder, "bytes",
                         g_variant_new_maybe (G_VARIANT_TYPE_UINT64,
                                              listed ? g_variant_new_uint64 (self->size) : NULL));
  add_member (&builder, "new",
                         g_variant_new_maybe (G_VARIANT_TYPE_UINT32,
                                              listed ? g_variant_new_uint32 (self->n_new) : NULL));
  if (listed)
    {
      add_member (&builder, "pipelining", g_variant_new_boolean (self->pipelining));
      add_member (&builder, "uidl", g_variant_new_boolean (self->uidl_supported));
      add_member (&builder, "top", g_variant_new_boolean (self->top_supported));
    }

  if (with_headers)
    {
      GVariantBuilder headers;

      g_variant_builder_init (&headers, G_VARIANT_TYPE ("aa{sv}"));
      for (guint i = 0; listed && i < self->messages->len; i++)
        g_variant_builder_add_value (&headers, message_summary (self, g_ptr_array_index (self->messages, i)));
      add_member (&builder, "headers", g_variant_builder_end (&headers));
    }

  add_member (&builder, "unseen",
                         g_variant_new_maybe (G_VARIANT_TYPE_UINT32,
                                              listed ? g_variant_new_uint32 (self->n_unseen) : NULL));
  enum_class = g_type_class_ref (MP_TYPE_MAILBOX_STATUS);
  nick = g_enum_get_value (enum_class, self->status);
  add_member (&builder, "state",
                         g_variant_new_string (nick ? nick->value_nick : "idle"));

  return g_variant_ref_sink (g_variant_builder_end (&builder));
}
