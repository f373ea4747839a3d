/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

/* The library's messages (TgAuthError texts and the like) reach people through
 * Python and GJS programs that never call bindtextdomain() for our domain:
 * bind it once, when the shared library is loaded, as libsoup does. An
 * application that binds the domain itself afterwards wins.
 *
 * Only libtokengate-1.so links this file whole; the tests, which link the
 * internal static library, never pull it in. (GLib's G_DEFINE_CONSTRUCTOR is
 * not installed; GCC and Clang, the compilers we build with, have the
 * attribute.) */
static void tg_init_i18n (void) __attribute__ ((constructor));

static void
tg_init_i18n (void)
{
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
}
