/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The HTML pages the browser sign-in shows: the sign-in form, and the page
 * that says why a sign-in cannot go on. Every value that came from a request
 * is escaped here, and every page goes out with the headers that keep it out
 * of frames, caches and other origins' reach.
 *
 * The text is translated like the rest of the project, in the language of the
 * process: the embedded server runs inside the app, in the desktop's language,
 * and the browser it sends the user to is on the same desktop.
 */
#define G_LOG_DOMAIN "tg-server"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "tg-server-private.h"

/* No scripts, images or fonts at all; the only style is the page's own. */
#define CSP_COMMON "default-src 'none'; style-src 'unsafe-inline'; " \
                   "frame-ancestors 'none'; base-uri 'none'"

static const char style[] =
  "body{font-family:system-ui,sans-serif;background:#f6f5f4;color:#241f31;"
  "margin:0;display:flex;justify-content:center}"
  "main{background:#fff;margin:4em 1em;padding:2em;border-radius:12px;"
  "max-width:24em;width:100%;box-shadow:0 1px 4px rgba(0,0,0,.15)}"
  "h1{font-size:1.4em;margin-top:0}"
  "label{display:block;margin-top:1em;font-weight:bold}"
  "input{box-sizing:border-box;width:100%;padding:.5em;margin-top:.3em;font-size:1em}"
  ".error{color:#c01c28;font-weight:bold}"
  /* Sign In comes first in the form, so that Enter signs in; shown last. */
  ".buttons{display:flex;flex-direction:row-reverse;gap:.5em;margin-top:1.5em}"
  "button{padding:.5em 1em;font-size:1em}";

static void
set_page_headers (SoupServerMessage *msg,
                  const char        *csp)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  soup_message_headers_replace (headers, "Content-Security-Policy", csp);
  soup_message_headers_replace (headers, "X-Frame-Options", "DENY");
  soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
  soup_message_headers_replace (headers, "Referrer-Policy", "no-referrer");
  _tg_server_set_no_store (msg);
}

/* The page around @body (already escaped HTML), with @head (nullable,
 * already escaped HTML) added to its head. */
static void
reply_page (SoupServerMessage *msg,
            guint              status,
            const char        *title,
            const char        *head,
            const char        *body)
{
  g_autofree char *escaped_title = g_markup_escape_text (title, -1);
  /* Translators: the language of this translation as an HTML lang attribute
   * (a BCP 47 tag: "de", "uk", "pt-BR"…) */
  g_autofree char *lang = g_markup_escape_text (C_("HTML lang", "en"), -1);
  char *html;

  html = g_strdup_printf ("<!DOCTYPE html>\n"
                          "<html lang=\"%s\">\n"
                          "<head>\n"
                          "<meta charset=\"utf-8\">\n"
                          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                          "%s"
                          "<title>%s</title>\n"
                          "<style>%s</style>\n"
                          "</head>\n"
                          "<body>\n"
                          "<main>\n"
                          "<h1>%s</h1>\n"
                          "%s"
                          "</main>\n"
                          "</body>\n"
                          "</html>\n",
                          lang, head != NULL ? head : "", escaped_title, style, escaped_title, body);

  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "text/html; charset=utf-8", SOUP_MEMORY_TAKE,
                                    html, strlen (html));
}

/**
 * _tg_server_reply_login_page:
 *
 * Answers 200 with the sign-in form for @page. The form posts back to
 * /oauth2/authorize, and its answer may redirect the browser to
 * @page->redirect_origin: CSP `form-action` also governs the redirects that
 * answer a form, so the policy names that origin too, and nothing wider.
 */
void
_tg_server_reply_login_page (SoupServerMessage       *msg,
                             const TgServerLoginPage *page)
{
  g_autoptr(GString) body = g_string_new (NULL);
  g_autofree char *csp = NULL;
  g_autofree char *piece = NULL;

  /* TRANSLATORS: %s is the name of the application (its OAuth client ID) */
  piece = g_markup_printf_escaped (_("“%s” asks to act on your behalf. Sign in to allow it."),
                                   page->client_id);
  g_string_append_printf (body, "<p>%s</p>\n", piece);
  g_clear_pointer (&piece, g_free);

  if (page->message != NULL)
    {
      piece = g_markup_printf_escaped ("<p class=\"error\" role=\"alert\">%s</p>\n", page->message);
      g_string_append (body, piece);
      g_clear_pointer (&piece, g_free);
    }

  piece = g_markup_printf_escaped ("<form method=\"post\" action=\"/oauth2/authorize\">\n"
                                   "<input type=\"hidden\" name=\"request_id\" value=\"%s\">\n"
                                   "<input type=\"hidden\" name=\"csrf_token\" value=\"%s\">\n"
                                   "<label for=\"username\">%s</label>\n"
                                   "<input id=\"username\" name=\"username\" autocomplete=\"username\" "
                                   "required autofocus value=\"%s\">\n"
                                   "<label for=\"password\">%s</label>\n"
                                   "<input id=\"password\" name=\"password\" type=\"password\" "
                                   "autocomplete=\"current-password\" required>\n"
                                   "<div class=\"buttons\">\n"
                                   "<button type=\"submit\" name=\"action\" value=\"sign-in\">%s</button>\n"
                                   "<button type=\"submit\" name=\"action\" value=\"cancel\" "
                                   "formnovalidate>%s</button>\n"
                                   "</div>\n"
                                   "</form>\n",
                                   page->request_id, page->csrf_token, _("User name"),
                                   page->user_name != NULL ? page->user_name : "",
                                   _("Password"), _("Sign In"), _("Cancel"));
  g_string_append (body, piece);

  /* CSP's host-source grammar has no IPv6 literals: browsers drop
   * "http://[::1]:8080" as invalid, and the scheme alone ("http:") would let
   * the form go to any site. So a client on [::1] is not redirected to
   * from the form's answer at all (see _tg_server_reply_continue_page()),
   * and the form may go only here. */
  if (_tg_server_uri_has_ipv6_host (page->redirect_origin))
    csp = g_strdup (CSP_COMMON "; form-action 'self'");
  else
    csp = g_strdup_printf (CSP_COMMON "; form-action 'self' %s", page->redirect_origin);
  set_page_headers (msg, csp);
  reply_page (msg, SOUP_STATUS_OK, _("Sign In to Tokengate"), NULL, body->str);
}

/**
 * _tg_server_reply_error_page:
 * @message: a sentence for the person at the browser (translated)
 *
 * Answers @status with a page that says why the sign-in cannot go on: what
 * the browser gets where no redirect to the client is safe (RFC 6749
 * §4.1.2.1: an unknown client, a redirect URI it did not register), and when
 * the form's own request is not to be trusted.
 */
void
_tg_server_reply_error_page (SoupServerMessage *msg,
                             guint              status,
                             const char        *message)
{
  g_autofree char *body = g_markup_printf_escaped ("<p class=\"error\" role=\"alert\">%s</p>\n"
                                                   "<p>%s</p>\n",
                                                   message,
                                                   _("Go back to the application and sign in again."));

  set_page_headers (msg, CSP_COMMON "; form-action 'none'");
  reply_page (msg, status, _("Sign-In Failed"), NULL, body);
}

/* Whether @uri ("http://[::1]:8080/…") names its host as an IPv6 literal. */
gboolean
_tg_server_uri_has_ipv6_host (const char *uri)
{
  const char *authority = strstr (uri, "://");

  return authority != NULL && authority[3] == '[';
}

/**
 * _tg_server_reply_continue_page:
 * @location: where the browser goes next: the client's redirect URI with
 *   the answer in its query
 *
 * Answers 200 with a page that sends the browser on to @location at once
 * (a refresh, and a link for browsers that do not follow refreshes): what
 * the form's answer is, instead of a redirect, when the client listens on an
 * IPv6 literal. A redirect there would have to be allowed by the form's CSP
 * `form-action`, which cannot name an IPv6 address; a refresh is not a form
 * submission, so `form-action` has no say in it.
 */
void
_tg_server_reply_continue_page (SoupServerMessage *msg,
                                const char        *location)
{
  g_autofree char *head = g_markup_printf_escaped ("<meta http-equiv=\"refresh\" content=\"0; url='%s'\">\n",
                                                   location);
  g_autofree char *body = g_markup_printf_escaped ("<p><a href=\"%s\">%s</a></p>\n",
                                                   location, _("Go back to the application"));

  set_page_headers (msg, CSP_COMMON "; form-action 'none'");
  reply_page (msg, SOUP_STATUS_OK, _("Signing In…"), head, body);
}
