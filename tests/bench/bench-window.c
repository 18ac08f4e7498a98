/* bench-window.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * How long the preview window's message list takes to open a 10,000-message
 * mailbox and to sort it, drawn on a real X server (build-aux/bench.sh runs
 * it under Xvfb). "Open" is from handing the list its model to the end of
 * the first frame that shows it, as when the user picks the account in the
 * sidebar; "sort" is from a click on a column header to the end of the frame
 * that shows the new order. Prints the figures against the targets (0.5 s,
 * 0.2 s) and exits non-zero when one is missed.
 *
 *   bench-window [--messages N]
 */

#include "config.h"

#include <gtk/gtk.h>

#include "mp-message-list.h"
#include "mp-message-private.h"
#include "mp-message-tree-model.h"

static const char *names[] = {
  "Alice Martin", "Борис Петров", "Chloé Dubois", "田中 太郎", "Émile Zola",
  "Bob", "Zoë Young", "Ángel García", "Мария Иванова", "David Smith",
  "newsletter", "Service client", "Jürgen Müller", "Ola Nordmann", "李 明",
};
static const char *words[] = {
  "invoice", "meeting", "Re:", "отчёт", "réunion", "update", "holiday",
  "photos", "заказ", "plan", "quarterly", "résumé", "ticket", "weekend",
  "Fwd:", "project", "請求書", "party", "release", "budget",
};

static GListStore *
make_mailbox (guint n)
{
  GListStore *store = g_list_store_new (MP_TYPE_MESSAGE);
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  GRand *rand = g_rand_new_with_seed (42);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(MpHeaders) headers = mp_headers_new ();
      const char *name = names[g_rand_int_range (rand, 0, G_N_ELEMENTS (names))];
      g_autofree char *key = g_strdup_printf ("uid-%06u", i);

      headers->from_name = g_strdup (name);
      headers->from_address = g_strdup_printf ("user%u@example.org", g_rand_int_range (rand, 0, 500));
      headers->from = g_strdup_printf ("%s <%s>", headers->from_name, headers->from_address);
      headers->subject = g_strdup_printf ("%s %s %s %u",
                                          words[g_rand_int_range (rand, 0, G_N_ELEMENTS (words))],
                                          words[g_rand_int_range (rand, 0, G_N_ELEMENTS (words))],
                                          words[g_rand_int_range (rand, 0, G_N_ELEMENTS (words))],
                                          g_rand_int_range (rand, 0, 10000));
      headers->date = g_date_time_add_seconds (now, -(double) g_rand_int_range (rand, 0, 86400 * 400));
      g_ptr_array_add (items, mp_message_new (key, key, i + 1,
                                              g_rand_int_range (rand, 400, 4000000), headers));
    }
  g_list_store_splice (store, 0, 0, items->pdata, items->len);
  g_rand_free (rand);
  return store;
}

static gboolean drawn;

static gboolean
draw_cb (GtkWidget *widget,
         cairo_t   *cr,
         gpointer   user_data)
{
  drawn = TRUE;
  return FALSE;
}

/* Runs the main loop until the tree view has drawn a frame (at most 10 s)
 * and returns the seconds since @start. */
static double
wait_drawn (GtkWidget *tree_view,
            gint64     start)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  drawn = FALSE;
  gtk_widget_queue_draw (tree_view);
  while (!drawn && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  if (!drawn)
    g_error ("the message list was never drawn");
  /* the frame is on the X server once the request queue is flushed */
  gdk_display_sync (gtk_widget_get_display (tree_view));
  return (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
}

int
main (int   argc,
      char *argv[])
{
  int n_messages = 10000;
  GOptionEntry entries[] = {
    { "messages", 0, 0, G_OPTION_ARG_INT, &n_messages, "Messages in the mailbox", "N" },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GListStore) mailbox = NULL;
  GtkWidget *window, *list;
  GtkWidget *tree_view;
  double open_s, arrive_s, sort_subject_s, sort_from_s, sort_date_s, sort_size_s, worst_sort;
  gint64 start;
  int status = 0;

  if (!gtk_init_with_args (&argc, &argv, NULL, entries, NULL, &error))
    {
      g_printerr ("bench-window: %s\n", error != NULL ? error->message : "cannot open the display");
      return 2;
    }
  mp_headers_init_library ();

  mailbox = make_mailbox (n_messages);

  window = gtk_window_new (GTK_WINDOW_TOPLEVEL);
  gtk_window_set_default_size (GTK_WINDOW (window), 1000, 700);
  list = mp_message_list_new ();
  gtk_container_add (GTK_CONTAINER (window), list);
  tree_view = GTK_WIDGET (mp_message_list_get_tree_view (MP_MESSAGE_LIST (list)));
  g_signal_connect_after (tree_view, "draw", G_CALLBACK (draw_cb), NULL);
  gtk_widget_show_all (window);
  wait_drawn (tree_view, g_get_monotonic_time ());

  start = g_get_monotonic_time ();
  mp_message_list_set_messages (MP_MESSAGE_LIST (list), G_LIST_MODEL (mailbox));
  open_s = wait_drawn (tree_view, start);
  g_assert_cmpuint (mp_message_list_get_n_visible (MP_MESSAGE_LIST (list)), ==, n_messages);

  start = g_get_monotonic_time ();
  mp_message_list_set_sort (MP_MESSAGE_LIST (list), MP_MESSAGE_TREE_MODEL_COLUMN_SUBJECT, FALSE);
  sort_subject_s = wait_drawn (tree_view, start);
  start = g_get_monotonic_time ();
  mp_message_list_set_sort (MP_MESSAGE_LIST (list), MP_MESSAGE_TREE_MODEL_COLUMN_FROM, FALSE);
  sort_from_s = wait_drawn (tree_view, start);
  start = g_get_monotonic_time ();
  mp_message_list_set_sort (MP_MESSAGE_LIST (list), MP_MESSAGE_TREE_MODEL_COLUMN_SIZE, TRUE);
  sort_size_s = wait_drawn (tree_view, start);
  start = g_get_monotonic_time ();
  mp_message_list_set_sort (MP_MESSAGE_LIST (list), MP_MESSAGE_TREE_MODEL_COLUMN_DATE, TRUE);
  sort_date_s = wait_drawn (tree_view, start);

  /* the first poll while the window is open: 10,000 messages arrive in
   * a list already on screen */
  {
    g_autoptr(GListStore) empty = g_list_store_new (MP_TYPE_MESSAGE);
    g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);

    for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (mailbox)); i++)
      g_ptr_array_add (items, g_list_model_get_item (G_LIST_MODEL (mailbox), i));
    mp_message_list_set_messages (MP_MESSAGE_LIST (list), G_LIST_MODEL (empty));
    wait_drawn (tree_view, g_get_monotonic_time ());
    start = g_get_monotonic_time ();
    g_list_store_splice (empty, 0, 0, items->pdata, items->len);
    arrive_s = wait_drawn (tree_view, start);
    g_assert_cmpuint (mp_message_list_get_n_visible (MP_MESSAGE_LIST (list)), ==, n_messages);
  }

  worst_sort = MAX (MAX (sort_subject_s, sort_from_s), MAX (sort_size_s, sort_date_s));

  g_print ("preview window, %d messages (GtkTreeView over MpMessageTreeModel)\n", n_messages);
  g_print ("  open (model to first frame):   %6.3f s   target < 0.500 s  %s\n",
           open_s, open_s < 0.5 ? "ok" : "MISSED");
  g_print ("  sort by subject (first time):  %6.3f s   target < 0.200 s  %s\n",
           sort_subject_s, sort_subject_s < 0.2 ? "ok" : "MISSED");
  g_print ("  sort by from (first time):     %6.3f s   target < 0.200 s  %s\n",
           sort_from_s, sort_from_s < 0.2 ? "ok" : "MISSED");
  g_print ("  sort by size:                  %6.3f s   target < 0.200 s  %s\n",
           sort_size_s, sort_size_s < 0.2 ? "ok" : "MISSED");
  g_print ("  sort by date:                  %6.3f s   target < 0.200 s  %s\n",
           sort_date_s, sort_date_s < 0.2 ? "ok" : "MISSED");

  g_print ("  arrive in the open window:     %6.3f s   target < 0.500 s  %s\n",
           arrive_s, arrive_s < 0.5 ? "ok" : "MISSED");

  if (open_s >= 0.5 || arrive_s >= 0.5 || worst_sort >= 0.2)
    status = 1;

  gtk_widget_destroy (window);
  return status;
}
