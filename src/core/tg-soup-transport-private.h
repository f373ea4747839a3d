/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Private to libtokengate-1 and its tests: never installed, and its symbols are
 * not exported from the shared library. */
#if !defined(TOKENGATE_COMPILATION)
# error "This header is private to libtokengate-1."
#endif

#include "tg-transport-private.h"

G_BEGIN_DECLS

#define TG_TYPE_SOUP_TRANSPORT (tg_soup_transport_get_type ())
G_DECLARE_FINAL_TYPE (TgSoupTransport, tg_soup_transport, TG, SOUP_TRANSPORT, GObject)

TgTransport *tg_soup_transport_new         (SoupSession     *session);
SoupSession *tg_soup_transport_get_session (TgSoupTransport *self);

G_END_DECLS
