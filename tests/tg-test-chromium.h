/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A real browser for the interop tests: Debian's headless chromium, driven
 * over the Chrome DevTools Protocol through libsoup's WebSocket client. Its
 * calls run the caller's main context while they wait, so a loopback
 * listener on that context answers the browser's redirect. */
typedef struct _TgTestChromium TgTestChromium;

TgTestChromium *tg_test_chromium_start      (GError         **error);
void            tg_test_chromium_free       (TgTestChromium  *chromium);
guint           tg_test_chromium_n_loads    (TgTestChromium  *chromium);
void            tg_test_chromium_wait_load  (TgTestChromium  *chromium,
                                             guint            n_loads_before);
void            tg_test_chromium_navigate   (TgTestChromium  *chromium,
                                             const char      *uri);
char           *tg_test_chromium_evaluate   (TgTestChromium  *chromium,
                                             const char      *expression);
void            tg_test_chromium_fill_form  (TgTestChromium  *chromium,
                                             const char      *fields_json,
                                             const char      *button_selector);
void            tg_test_chromium_screenshot (TgTestChromium  *chromium,
                                             const char      *name);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgTestChromium, tg_test_chromium_free)

G_END_DECLS
