/* mp-application-poller.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The application's side of MpPoller: one MpMailbox per configured
 * account, following the account store.
 */

#define G_LOG_DOMAIN "mp-application"

#include "config.h"

#include "mp-application-private.h"

MpPoller *
mp_app_poller_new (MpAccountStore *store)
{
  return mp_poller_new_for_store (store);
}

/* Returns: (transfer full) */
GListModel *
mp_app_poller_get_mailboxes (MpPoller *poller)
{
  /* The poller is the list of its mailboxes. */
  return G_LIST_MODEL (g_object_ref (poller));
}

void
mp_app_poller_start (MpPoller *poller)
{
  /* The poller checks every enabled account as soon as it follows the
   * store, then at each account's interval.
   */
}
