//! The page shell every HTML page shares: header with the product name, navigation for a
//! signed-in user or **Sign in** at the upper right for a guest, and the language.

use crate::auth::CurrentUser;
use crate::i18n::{Lang, tr};
use maud::{DOCTYPE, Markup, html};

pub fn page(lang: Lang, title: &str, user: Option<&CurrentUser>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Tessera" }
                link rel="stylesheet" href="/static/app.css";
            }
            body {
                header.top {
                    a.brand href=(if user.is_some() { "/home" } else { "/" }) { "Tessera" }
                    nav {
                        @if let Some(u) = user {
                            a href="/home" { (tr(lang, "nav.home")) }
                            a href="/meetings" { (tr(lang, "nav.meetings")) }
                            a href="/rooms" { (tr(lang, "nav.rooms")) }
                            a href="/templates" { (tr(lang, "nav.templates")) }
                            a href="/contacts" { (tr(lang, "nav.contacts")) }
                            a href="/calls" { (tr(lang, "nav.calls")) }
                            a href="/profile" { (tr(lang, "nav.profile")) }
                            a href="/download" { (tr(lang, "nav.download")) }
                            @if u.user.is_admin { a #nav-admin href="/admin" { (tr(lang, "nav.admin")) } }
                            form.inline method="post" action="/logout" {
                                input type="hidden" name="csrf" value=(u.csrf);
                                button.link type="submit" id="sign-out" { (tr(lang, "nav.sign_out")) }
                            }
                        } @else {
                            a.button #sign-in href="/login" { (tr(lang, "nav.sign_in")) }
                        }
                    }
                }
                main { (body) }
                (footer(lang))
                @if let Some(u) = user {
                    // Calls: every page of a signed-in user rings (static/ring.js).
                    div #ring-texts hidden
                        data-calling=(tr(lang, "ring.calling")) data-incoming=(tr(lang, "ring.incoming"))
                        data-accept=(tr(lang, "ring.accept")) data-decline=(tr(lang, "ring.decline"))
                        data-cancel=(tr(lang, "ring.cancel")) data-answered=(tr(lang, "ring.answered"))
                        data-declined=(tr(lang, "ring.declined")) data-missed=(tr(lang, "ring.missed")) {}
                    meta name="tessera-csrf" content=(u.csrf);
                    script src="/static/ring.js" {}
                }
            }
        }
    }
}

/// A page without the site's header, for a frame in another site (the webinar widget).
pub fn bare_page(lang: Lang, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Tessera" }
                link rel="stylesheet" href="/static/app.css";
            }
            body.embedded { main { (body) } (footer(lang)) }
        }
    }
}

/// Every page offers the server's source to whoever uses it (AGPL-3.0, section 13).
fn footer(lang: Lang) -> Markup {
    html! {
        footer.site {
            a #source-link href="/source" { (tr(lang, "footer.source")) }
            " · Tessera " (env!("CARGO_PKG_VERSION")) " · AGPL-3.0"
        }
    }
}

/// A notice box: `kind` is "ok" or "error".
pub fn notice(kind: &str, text: &str) -> Markup {
    html! { p class={"notice " (kind)} role=(if kind == "error" { "alert" } else { "status" }) { (text) } }
}
