/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the files of the home window share (GNOME Text Editor's
 * editor-window-private.h): tg-home-window.c builds the window and shows the
 * resource, the results and the demo server's settings;
 * tg-home-window-actions.c has the window's actions.
 */
#pragma once

#include "tg-home-window.h"
#include "tg-network-view.h"
#include "tg-paced-list-model.h"
#include "tg-timeline.h"
#include "tg-token-panel.h"

G_BEGIN_DECLS

struct _TgHomeWindow
{
  AdwApplicationWindow  parent_instance;

  TgSession            *session;        /* owned */
  GSettings            *settings;       /* owned, nullable */
  GCancellable         *cancellable;    /* owned; cancelled on close */
  GSignalGroup         *manager_signals; /* owned */
  GListStore           *results;        /* owned; of TgResultItem */
  TgPacedListModel     *shown_results;  /* owned: the results, handed to the view a batch per frame */
  char                 *resource_text;  /* owned: "" while loading */
  guint                 burst_unfinished; /* requests of the shown burst not answered yet */
  guint                 queued_count;   /* a Send while they were: sent when they are, or 0 */
  double                count_note_value; /* the count the note under the field speaks of */
  guint                 n_toasts;       /* shown or waiting to be */
  guint                 latency_timeout_id;
  guint                 fold_idle_id;
  gboolean              settings_known;  /* the server's settings are shown: changes go out */

  /* template children */
  AdwWindowTitle       *window_title;
  AdwToastOverlay      *toast_overlay;
  GtkWidget            *announcer;
  GtkLabel             *announcer_label;
  AdwLeaflet           *leaflet;
  GtkToggleButton      *network_button;
  GtkStack             *resource_stack;
  GtkSpinner           *resource_spinner;
  GtkLabel             *resource_label;
  GtkLabel             *resource_error_label;
  TgTokenPanel         *token_panel;
  GtkWidget            *expire_button;
  GtkWidget            *revoke_button;
  GtkWidget            *lose_answer_button;
  GtkWidget            *grace_list;
  GtkSwitch            *grace_switch;
  GtkWidget            *latency_box;
  GtkAdjustment        *latency_adjustment;
  GtkScale             *latency_scale;
  GtkAdjustment        *refresh_latency_adjustment;
  GtkScale             *refresh_latency_scale;
  GtkSpinButton        *count_spin;
  GtkButton            *send_button;
  GtkLabel             *count_note;
  GtkStack             *results_stack;
  GtkListView          *results_view;
  TgTimeline           *timeline;
  TgNetworkView        *network_view;
};

/* What an operation of the window needs to get back to it: the window only
 * while the cancellable is not cancelled — it is, before the window goes. */
typedef struct {
  TgHomeWindow  *self;         /* unowned: valid while !cancelled */
  GCancellable  *cancellable;  /* owned */
  gconstpointer  data;         /* unowned, static: what the operation was about */
} TgHomeWindowOp;

TgHomeWindowOp *_tg_home_window_op_new            (TgHomeWindow   *self,
                                                   gconstpointer   data);
TgHomeWindow   *_tg_home_window_op_get_window     (TgHomeWindowOp *op);
void            _tg_home_window_op_free           (TgHomeWindowOp *op);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgHomeWindowOp, _tg_home_window_op_free)

gboolean        _tg_home_window_is_signed_in      (TgHomeWindow   *self);
TgDemoControls *_tg_home_window_get_demo_controls (TgHomeWindow   *self);
void            _tg_home_window_show_toast        (TgHomeWindow   *self,
                                                   const char     *text);
void            _tg_home_window_fetch_resource    (TgHomeWindow   *self);

/* tg-home-window-actions.c */
void            _tg_home_window_class_actions_init (TgHomeWindowClass *klass);
void            _tg_home_window_actions_update     (TgHomeWindow       *self);

G_END_DECLS
