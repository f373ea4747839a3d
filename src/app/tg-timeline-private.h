/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the files of the timeline share: tg-timeline.c puts the records of the
 * burst in lanes and fits them to a time axis (the layout);
 * tg-timeline-drawing.c draws that.
 */
#pragma once

#include "tg-pending-records.h"
#include "tg-timeline.h"

G_BEGIN_DECLS

#define LANE_HEIGHT    22
#define BAR_HEIGHT     14
#define HEADER_HEIGHT  44   /* legend and axis labels, fixed above the lanes */
#define FOOTER_PADDING 6
/* Less than this between the burst and a first send is the main loop, not a
 * wait worth drawing. */
#define GATE_WAIT_MIN_USEC (3 * 1000)

typedef enum {
  LANE_REFRESH,
  LANE_REQUEST,
  LANE_OTHER,
} LaneKind;

typedef struct {
  LaneKind   kind;
  guint      request_id;
  char      *label;     /* owned */
  GPtrArray *records;   /* owned; of owned TgRequestRecord, in log order */
} Lane;

struct _TgTimeline
{
  GtkWidget      parent_instance;

  TgRequestLog  *log;              /* owned, nullable */
  GSignalGroup  *log_signals;      /* owned */

  guint          burst_position;   /* first record shown */
  gint64         burst_time;       /* monotonic µs of the mark; 0 without one */
  guint          scanned;          /* records of the log already put in lanes */

  GPtrArray     *lanes;            /* owned; of Lane; [0] is the refresh lane */
  GHashTable    *lane_by_request;  /* request id → Lane (borrowed) */
  TgPendingRecords *pending;       /* owned: the unfinished records shown */

  GtkAdjustment *hadjustment;      /* owned, nullable */
  GtkAdjustment *vadjustment;      /* owned, nullable */
  guint          hscroll_policy : 1;
  guint          vscroll_policy : 1;

  guint          tick_id;
  gint64         last_frame_draw;
  gboolean       draw_pending;
  gboolean       resize_pending;
  guint          measured_lanes;   /* the lanes the last height request counted */
};

/* Where a time goes on the x axis, for one width of the widget. */
typedef struct {
  gint64 t0;          /* monotonic µs at x = bars_x */
  gint64 t1;          /* at x = bars_x + bars_width */
  gint64 now;
  float  gutter;      /* lane labels */
  float  bars_x;
  float  bars_width;
} Scale;

void   _tg_timeline_compute_scale (TgTimeline      *self,
                                   int              width,
                                   Scale           *scale);
float  _tg_timeline_time_to_x     (const Scale     *scale,
                                   gint64           t);
gint64 _tg_timeline_record_end    (TgRequestRecord *record,
                                   gint64           now);

/* tg-timeline-drawing.c */
void   _tg_timeline_snapshot      (GtkWidget       *widget,
                                   GtkSnapshot     *snapshot);
double _tg_timeline_contrast_ratio (const GdkRGBA  *a,
                                    const GdkRGBA  *b);
void   _tg_timeline_text_on_bar   (const GdkRGBA   *bar,
                                   GdkRGBA         *text);

G_END_DECLS
