/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The deterministic simulation of the client core: a virtual clock, a fake
 * transport in front of a scripted authorization + resource server, and a
 * fake token store. tg-sim.c drives the real TgTokenManager and TgApiClient
 * against them and checks every invariant in one function.
 */
#pragma once

#include "tg-clock-private.h"
#include "tg-token-store.h"
#include "tg-transport-private.h"

G_BEGIN_DECLS

/* ------------------------------------------------------------------------- */
/* The virtual clock                                                         */

#define SIM_TYPE_CLOCK (sim_clock_get_type ())
G_DECLARE_FINAL_TYPE (SimClock, sim_clock, SIM, CLOCK, GObject)

SimClock *sim_clock_new           (void);
gint64    sim_clock_now           (SimClock    *self);  /* µs since the start */
gint64    sim_clock_next_deadline (SimClock    *self);  /* G_MAXINT64: none */
void      sim_clock_advance_to    (SimClock    *self,
                                   gint64       when);
GSource  *sim_clock_call_later    (SimClock    *self,
                                   gint64       delay_us,
                                   GSourceFunc  func,
                                   gpointer     data,
                                   GDestroyNotify notify);

/* The wall-clock time (µs since the epoch) at virtual time 0. */
#define SIM_EPOCH_US (G_GINT64_CONSTANT (1700000000) * G_USEC_PER_SEC)

/* ------------------------------------------------------------------------- */
/* The trace: time-stamped lines, token values never (serials only).        */

typedef struct _SimTrace SimTrace;
struct _SimTrace
{
  GString *text;  /* owned, nullable: NULL when not tracing */
  SimClock *clock;  /* unowned */
};

void sim_trace (SimTrace   *trace,
                const char *format,
                ...) G_GNUC_PRINTF (2, 3);

/* ------------------------------------------------------------------------- */
/* The scripted server, shared by the client's two transports                */

typedef enum {
  SIM_REFRESH_OK,
  SIM_REFRESH_503,
  SIM_REFRESH_502,
  SIM_REFRESH_504,
  SIM_REFRESH_429,
  SIM_REFRESH_REFUSED,      /* connection refused before the server saw it */
  SIM_REFRESH_LOST,         /* processed, then the connection dropped */
  SIM_REFRESH_INVALID,      /* the server revokes the family: invalid_grant */
  SIM_REFRESH_LATE,         /* processed at once, answered after the client's deadline */
  SIM_REFRESH_NEVER,        /* never processed, never answered: until cancelled */
  SIM_N_REFRESH_OUTCOMES
} SimRefreshOutcome;

typedef struct {
  /* The schedule's knobs, drawn by the driver. */
  guint    weights[SIM_N_REFRESH_OUTCOMES];
  gint64   token_lifetime_s;
  gint64   grace_us;                 /* 0: no reuse grace */
  double   early_expiry;             /* chance that an access token dies at a random time */
  gint64   refresh_timeout_us;       /* the client's, to time "late" answers */
} SimServerConfig;

typedef struct _SimServer SimServer;

SimServer *sim_server_new   (GRand                 *rand,
                             SimClock              *clock,
                             SimTrace              *trace,
                             const SimServerConfig *config);
void       sim_server_free  (SimServer             *server);

/* What the server saw and did, for the checker. */
typedef struct {
  guint    refreshes_in_flight;      /* now */
  guint    max_refreshes_in_flight;
  /* Rule 1: a refresh token presented again after its 2xx reached the client. */
  guint    replays_of_received;
  char    *first_replay;             /* owned, nullable: a sentence for the report */
  /* Rule 3: a retry that carried a token no newer than its first attempt. */
  guint    stale_retries;
  char    *first_stale_retry;        /* owned, nullable */
  /* For rule 6, what the client was told. */
  guint    delivered_invalid_grant_justified;   /* family revoked by the server, or a
                                                   replay after a lost answer */
  guint    delivered_invalid_grant_after_late;  /* a replay of a token whose answer
                                                   was on its way (late) or delivered */
  guint    delivered_401_current;    /* 401 for the newest access token delivered */
  guint    newest_delivered_serial;  /* the newest access token the client received */
  guint    max_sent_serial;          /* the newest access token a request carried */
  guint    exchanges_in_flight;
} SimServerStats;

SimServerStats *sim_server_get_stats (SimServer *server);
void            sim_server_reset_session_facts (SimServer *server);

#define SIM_TYPE_TRANSPORT (sim_transport_get_type ())
G_DECLARE_FINAL_TYPE (SimTransport, sim_transport, SIM, TRANSPORT, GObject)

SimTransport *sim_transport_new (SimServer  *server,
                                 SimClock   *clock,
                                 const char *name);

/* The path of logical request @id: the server keeps its attempts apart by it. */
#define SIM_RESOURCE_PREFIX "/api/r/"

/* ------------------------------------------------------------------------- */
/* The store                                                                 */

typedef struct {
  double slow;      /* chance that a save takes long (up to 20 s) */
  double fail;      /* chance that a save fails */
} SimStoreConfig;

#define SIM_TYPE_STORE (sim_store_get_type ())
G_DECLARE_FINAL_TYPE (SimStore, sim_store, SIM, STORE, GObject)

SimStore   *sim_store_new        (GRand                *rand,
                                  SimClock             *clock,
                                  SimTrace             *trace,
                                  const SimStoreConfig *config);
/* The access serial of the pair held now, 0 when empty. */
guint       sim_store_get_held   (SimStore *self);
/* Every content it ever had, in order: serials, 0 for "emptied". */
GArray     *sim_store_get_history (SimStore *self);
guint       sim_store_get_pending (SimStore *self);
/* Set by the store when it replaced a pair by one older than the newest
 * access token a request had carried by then. */
const char *sim_store_get_regression (SimStore *self);
void        sim_store_set_server (SimStore  *self,
                                  SimServer *server);

/* Serials are read back from token values, which are ours: "a.<family>.<serial>". */
guint sim_token_serial (const char *token);

G_END_DECLS
