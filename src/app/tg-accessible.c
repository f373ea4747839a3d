/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Accessibility helpers for what GTK 4.8 and libadwaita 1.2 do not do by
 * themselves (issue 10, §2).
 */
#define G_LOG_DOMAIN "tg-accessible"

#include "config.h"

#include "tg-accessible.h"

static GtkWidget *
find_descendant (GtkWidget *widget,
                 GType      type,
                 gboolean   visible_only)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      /* A hidden popover is looked into: what it holds is met once it
       * opens. */
      if (G_TYPE_CHECK_INSTANCE_TYPE (child, type) && (!visible_only || gtk_widget_get_visible (child)))
        return child;
      if ((found = find_descendant (child, type, visible_only)) != NULL)
        return found;
    }
  return NULL;
}

/**
 * tg_accessible_find_descendant:
 * @root: a composite widget
 * @type: the type of the part to find
 *
 * Returns: (transfer none) (nullable): the first visible part of @root of
 *   @type, else the first hidden one. Composite widgets keep parts hidden
 *   until used (an entry row's apply button, a search bar's close button):
 *   what a person meets first is the visible one.
 */
GtkWidget *
tg_accessible_find_descendant (GtkWidget *root,
                               GType      type)
{
  GtkWidget *part;

  g_return_val_if_fail (GTK_IS_WIDGET (root), NULL);

  part = find_descendant (root, type, TRUE);
  return part != NULL ? part : find_descendant (root, type, FALSE);
}

/**
 * tg_accessible_name_descendant:
 * @root: a composite widget
 * @type: the type of the part to name
 * @name: its name
 *
 * Names the part of @root that tg_accessible_find_descendant() finds, e.g.
 * the show-text button of libadwaita 1.2's AdwPasswordEntryRow, which has
 * an icon and no name.
 */
void
tg_accessible_name_descendant (GtkWidget  *root,
                               GType       type,
                               const char *name)
{
  GtkWidget *part;

  g_return_if_fail (GTK_IS_WIDGET (root));

  part = tg_accessible_find_descendant (root, type);
  if (part != NULL)
    gtk_accessible_update_property (GTK_ACCESSIBLE (part), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
  else
    g_debug ("No %s in %s to name", g_type_name (type), G_OBJECT_TYPE_NAME (root));
}

/* Tab out of the list, past its rows: for the length of the move the list
 * cannot take the focus, so the window's focus chain steps over it from the
 * row that has it, to the widget after (or before) the list. */
static gboolean
on_list_key_pressed (GtkEventControllerKey *controller,
                     guint                  keyval,
                     guint                  keycode,
                     GdkModifierType        state,
                     GtkWidget             *list)
{
  GtkDirectionType direction;
  GtkRoot *root;

  if (keyval == GDK_KEY_Tab || keyval == GDK_KEY_KP_Tab)
    direction = (state & GDK_SHIFT_MASK) ? GTK_DIR_TAB_BACKWARD : GTK_DIR_TAB_FORWARD;
  else if (keyval == GDK_KEY_ISO_Left_Tab)
    direction = GTK_DIR_TAB_BACKWARD;
  else
    return FALSE;

  if ((state & (GDK_CONTROL_MASK | GDK_ALT_MASK)) != 0 || (root = gtk_widget_get_root (list)) == NULL)
    return FALSE;

  gtk_widget_set_can_focus (list, FALSE);
  if (!gtk_widget_child_focus (GTK_WIDGET (root), direction))
    {
      /* At the end of the chain: wrap around, as GtkWindow does. */
      gtk_root_set_focus (root, NULL);
      gtk_widget_child_focus (GTK_WIDGET (root), direction);
    }
  gtk_widget_set_can_focus (list, TRUE);
  return TRUE;
}

/**
 * tg_accessible_one_tab_stop:
 * @list: a #GtkListView or #GtkColumnView
 *
 * Makes @list one Tab stop: Tab enters it at its focused row, the arrow keys
 * move inside it, and the next Tab leaves it — in GTK 4.8 Tab walks every
 * row, 1,000 of them in a big burst's log (GTK 4.12 has
 * GtkListView:tab-behavior for this).
 */
void
tg_accessible_one_tab_stop (GtkWidget *list)
{
  GtkEventController *controller;

  g_return_if_fail (GTK_IS_WIDGET (list));

  controller = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  g_signal_connect_object (controller, "key-pressed", G_CALLBACK (on_list_key_pressed), list, 0);
  gtk_widget_add_controller (list, controller);
}

/* The description a widget has of its own (tg_accessible_describe()), which
 * an announcement borrows (see below) and gives back. */
#define DESCRIPTION_KEY "tg-accessible-description"
/* A window's Loan. */
#define LOAN_KEY "tg-accessible-loan"

typedef struct
{
  GWeakRef lender;  /* the widget whose description says an announcement */
  gboolean padded;  /* whether it says it with a space after */
} Loan;

static void
set_description (GtkWidget  *widget,
                 const char *description)
{
  if (description != NULL)
    gtk_accessible_update_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, description, -1);
  else
    gtk_accessible_reset_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
}

/**
 * tg_accessible_describe:
 * @widget: a widget
 * @description: (nullable): its accessible description, %NULL for none
 *
 * Sets the accessible description of @widget in a window that announces
 * (tg_accessible_announce()), which borrows it: GTK 4.8 cannot tell what a
 * description was, so what is set here is what comes back.
 */
void
tg_accessible_describe (GtkWidget  *widget,
                        const char *description)
{
  g_return_if_fail (GTK_IS_WIDGET (widget));

  g_object_set_data_full (G_OBJECT (widget), DESCRIPTION_KEY, g_strdup (description), g_free);
  set_description (widget, description);
}

/* The widget a screen reader has as the focus of @root: GTK leaves a part
 * with no role (the text of a spin button) out of the tree, so it is the
 * widget around it; the window itself when nothing in it has the focus. */
static GtkWidget *
screen_reader_focus (GtkRoot *root)
{
  for (GtkWidget *focus = gtk_root_get_focus (root); focus != NULL; focus = gtk_widget_get_parent (focus))
    {
      GtkAccessibleRole role = gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (focus));

      if (role != GTK_ACCESSIBLE_ROLE_NONE && role != GTK_ACCESSIBLE_ROLE_PRESENTATION)
        return focus;
    }
  return GTK_WIDGET (root);
}

/* The focus has moved on, and Orca with it (the idle runs after GTK sent the
 * focus change): the widget that lent its description gets its own back,
 * and Orca, whose focus it no longer is, does not say it. */
static gboolean
end_loan (gpointer data)
{
  GtkRoot *root = data;
  Loan *loan = g_object_get_data (G_OBJECT (root), LOAN_KEY);
  g_autoptr (GtkWidget) lender = g_weak_ref_get (&loan->lender);

  if (lender != NULL && lender != screen_reader_focus (root))
    {
      set_description (lender, g_object_get_data (G_OBJECT (lender), DESCRIPTION_KEY));
      g_weak_ref_set (&loan->lender, NULL);
    }
  return G_SOURCE_REMOVE;
}

static void
on_focus_widget_changed (GtkRoot *root)
{
  g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, end_loan, g_object_ref (root), g_object_unref);
}

static void
loan_free (Loan *loan)
{
  g_weak_ref_clear (&loan->lender);
  g_free (loan);
}

/**
 * tg_accessible_announce:
 * @alert: a widget with the %GTK_ACCESSIBLE_ROLE_ALERT role, holding @label
 * @label: the label that says it
 * @text: what to announce
 *
 * Says @text to a screen reader, without moving the focus.
 *
 * GTK 4.14 has gtk_accessible_announce(); Debian 12 has GTK 4.8 and Orca 43.
 * Orca 43 speaks an alert when it shows (object:state-changed:showing), but
 * GTK 4.8 sends that for windows only — a widget that appears is a
 * children-changed:add on its parent, which Orca 43 does not present — and
 * it ignores an alert whose parent is the application, i.e. an alert window.
 * What Orca 43 does speak is a new description of the object that has its
 * focus (default.py, onDescriptionChanged). So the focused widget of the
 * window (or the window, when nothing in it has the focus) lends its
 * description for @text, and gets it back once the focus leaves it (the
 * description given with tg_accessible_describe(), else none) — silently, as
 * Orca's focus has moved on. Orca says @text once; nothing else is said.
 *
 * @alert keeps a copy of the last announcement in the accessibility tree,
 * where a screen reader's review of the window, and the tests, find it.
 */
void
tg_accessible_announce (GtkWidget  *alert,
                        GtkLabel   *label,
                        const char *text)
{
  GtkRoot *root;
  GtkWidget *focus;
  Loan *loan;
  g_autofree char *said = NULL;

  g_return_if_fail (GTK_IS_WIDGET (alert));
  g_return_if_fail (GTK_IS_LABEL (label));

  gtk_label_set_text (label, text);
  gtk_accessible_update_property (GTK_ACCESSIBLE (alert), GTK_ACCESSIBLE_PROPERTY_LABEL, text, -1);
  gtk_widget_set_visible (alert, TRUE);

  if ((root = gtk_widget_get_root (alert)) == NULL)
    return;

  if ((loan = g_object_get_data (G_OBJECT (root), LOAN_KEY)) == NULL)
    {
      loan = g_new0 (Loan, 1);
      g_weak_ref_init (&loan->lender, NULL);
      g_object_set_data_full (G_OBJECT (root), LOAN_KEY, loan, (GDestroyNotify) loan_free);
      g_signal_connect (root, "notify::focus-widget", G_CALLBACK (on_focus_widget_changed), NULL);
    }

  /* A lender the focus has left, whose idle has not run yet: first its own
   * description back. */
  end_loan (root);
  focus = screen_reader_focus (root);
  g_weak_ref_set (&loan->lender, focus);
  /* GTK 4.8 sends no change for the description a widget already has, and
   * the same toast may come twice in a row (Break, Break): every other
   * announcement ends with a space, which is not heard. */
  loan->padded = !loan->padded;
  said = g_strconcat (text, loan->padded ? " " : "", NULL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (focus), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, said, -1);
}

/**
 * tg_accessible_name_buttons_by_label:
 * @root: a window or part of one
 *
 * GTK 4.8 names a button whose label has a mnemonic twice: from its label
 * property, underscore included, and from the label inside it — "_Send 3
 * Requests Send 3 Requests". Without the property the label inside, as
 * shown, is the name. Call again after gtk_button_set_label().
 */
void
tg_accessible_name_buttons_by_label (GtkWidget *root)
{
  g_return_if_fail (GTK_IS_WIDGET (root));

  if (GTK_IS_BUTTON (root) && gtk_button_get_use_underline (GTK_BUTTON (root)) &&
      gtk_button_get_label (GTK_BUTTON (root)) != NULL)
    gtk_accessible_reset_property (GTK_ACCESSIBLE (root), GTK_ACCESSIBLE_PROPERTY_LABEL);

  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    tg_accessible_name_buttons_by_label (child);
}
