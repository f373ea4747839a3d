/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "tg-transport.h"

G_BEGIN_DECLS

#define TG_TYPE_SOUP_TRANSPORT (tg_soup_transport_get_type ())
G_DECLARE_FINAL_TYPE (TgSoupTransport, tg_soup_transport, TG, SOUP_TRANSPORT, GObject)

TgTransport *tg_soup_transport_new         (SoupSession     *session);
SoupSession *tg_soup_transport_get_session (TgSoupTransport *self);

G_END_DECLS
