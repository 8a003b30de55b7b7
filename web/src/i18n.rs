//! One mechanism for every string the interface shows: `tr(lang, key)`. English and Russian are
//! complete (a test checks that both tables have the same keys). A missing key shows the key
//! itself, so a forgotten translation is visible rather than blank.

use std::collections::HashMap;
use std::sync::LazyLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    En,
    Ru,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Ru];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ru => "ru",
        }
    }

    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Ru => "Русский",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.code() == code)
    }

    /// The first supported language of an `Accept-Language` header, English otherwise.
    pub fn from_accept_language(header: Option<&str>) -> Lang {
        let Some(h) = header else { return Lang::En };
        let mut best: Option<(f32, Lang)> = None;
        for part in h.split(',') {
            let mut it = part.trim().split(';');
            let tag = it.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = it.find_map(|p| p.trim().strip_prefix("q=").and_then(|v| v.parse::<f32>().ok())).unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or("");
            if let Some(l) = Lang::from_code(primary)
                && best.is_none_or(|(bq, _)| q > bq)
            {
                best = Some((q, l));
            }
        }
        best.map(|(_, l)| l).unwrap_or(Lang::En)
    }
}

pub fn tr(lang: Lang, key: &'static str) -> &'static str {
    let table: &HashMap<&'static str, &'static str> = match lang {
        Lang::En => &EN_MAP,
        Lang::Ru => &RU_MAP,
    };
    table.get(key).copied().unwrap_or(key)
}

/// The tables of each language: the main one, then those of larger areas in files of their own.
const EN_TABLES: [&[(&str, &str)]; 7] = [
    EN,
    crate::i18n_webinar::EN,
    crate::i18n_manager::EN,
    crate::i18n_analytics::EN,
    crate::i18n_scheduling::EN,
    crate::i18n_admin::EN,
    crate::i18n_mail::EN,
];
const RU_TABLES: [&[(&str, &str)]; 7] = [
    RU,
    crate::i18n_webinar::RU,
    crate::i18n_manager::RU,
    crate::i18n_analytics::RU,
    crate::i18n_scheduling::RU,
    crate::i18n_admin::RU,
    crate::i18n_mail::RU,
];

static EN_MAP: LazyLock<HashMap<&'static str, &'static str>> =
    LazyLock::new(|| EN_TABLES.iter().flat_map(|t| t.iter()).copied().collect());
static RU_MAP: LazyLock<HashMap<&'static str, &'static str>> =
    LazyLock::new(|| RU_TABLES.iter().flat_map(|t| t.iter()).copied().collect());

const EN: &[(&str, &str)] = &[
    ("cpage.missing", "No such conference"),
    ("cpage.sign_in_hint", "If you were invited to a private conference, sign in to see it."),
    ("cpage.owner", "Owner"),
    ("cpage.access", "Access"),
    ("cpage.kind", "Type"),
    ("cpage.room", "Virtual room: always available"),
    ("cpage.scheduled", "Scheduled meeting:"),
    ("cpage.location", "Location"),
    ("cpage.description", "Description"),
    ("cpage.sip", "SIP/H.323 address"),
    ("cpage.not_started", "The conference has not started yet. Come back at its start time."),
    ("cpage.pin", "PIN"),
    ("cpage.join_browser", "Join from the browser"),
    ("cpage.join_app", "Join from the application"),
    (
        "cpage.no_license",
        "You have no valid PRO license, so you cannot join as a participant, owner or moderator. Ask your administrator for one.",
    ),
    ("cpage.guest", "Join as guest"),
    ("cpage.sign_in_to_join", "Have an account on this server? Sign in to join as yourself."),
    ("cpage.your_name", "Your name"),
    ("cpage.join_guest", "Join as guest"),
    ("call.mic", "Microphone"),
    ("call.cam", "Camera"),
    ("call.hangup", "Hang up"),
    ("call.chat", "Chat"),
    ("call.send", "Send"),
    ("call.send_file", "Send a file"),
    ("ring.calling", "Calling {name}…"),
    ("ring.incoming", "{name} is calling you"),
    ("ring.accept", "Accept"),
    ("ring.decline", "Decline"),
    ("ring.cancel", "Cancel"),
    ("ring.answered", "{name} answered."),
    ("ring.declined", "{name} declined the call."),
    ("ring.missed", "{name} did not answer."),
    ("calls.make", "Make a call"),
    (
        "calls.make_help",
        "A user's login, or a SIP address (sip:name@host). The call opens in your browser; theirs rings.",
    ),
    ("calls.to", "Whom to call"),
    ("calls.call", "Call"),
    ("calls.no_right", "You can receive calls; making them needs the \"Make calls\" right."),
    ("call.slides", "Show slides (PDF)…"),
    ("call.slide_prev", "Previous"),
    ("call.slide_next", "Next"),
    ("call.slides_stop", "Stop the slide show"),
    ("call.file_too_big", "The file is too big: at most {max}."),
    ("call.file_sending", "Sending"),
    ("call.share", "Share screen"),
    ("call.share_ended", "Screen sharing stopped:"),
    ("call.joining", "Joining…"),
    ("call.connected", "You are in the conference."),
    ("call.mic_off", "The moderator turned your microphone off."),
    ("call.cam_off", "The moderator turned your camera off."),
    ("call.ended", "You left the conference:"),
    ("call.left", "You left the conference."),
    ("call.record", "Record"),
    ("call.my_layout", "My layout"),
    ("call.layout_conference", "The conference's"),
    ("call.ask_podium", "Ask for the podium"),
    ("call.podium_asked", "You asked for the podium; the moderator will answer."),
    ("call.podium_approved", "The moderator invited you to the podium: everyone sees and hears you."),
    ("call.podium_declined", "The moderator declined your request for the podium."),
    ("call.record_stop", "Stop recording"),
    ("call.record_help", "Records what you see and hear into a WebM file saved on this computer."),
    ("call.failed", "The media connection failed: your network may block UDP to this server."),
    ("app.tagline", "Video conferences on your own server"),
    (
        "app.intro",
        "Sign in to see your conferences for today, your virtual rooms and your rights, and to change your profile.",
    ),
    ("nav.home", "Home"),
    ("nav.profile", "Profile settings"),
    ("nav.download", "How to connect"),
    ("footer.source", "Source code"),
    ("source.title", "Source code"),
    (
        "source.license",
        "Tessera is free software under the GNU Affero General Public License, version 3 or later. This server runs version",
    ),
    (
        "source.unknown",
        "Its administrator has not yet said where its source code is published. Ask them for it: the license gives you the right to it.",
    ),
    ("nav.sign_in", "Sign in"),
    ("nav.sign_out", "Sign out"),
    ("login.title", "Sign in"),
    ("login.login", "Username"),
    ("login.password", "Password"),
    ("login.submit", "Sign in"),
    ("login.hint", "Ask your administrator for a username and password."),
    ("login.failed", "Wrong username or password."),
    (
        "login.locked",
        "Your account is locked after too many failed sign-in attempts. Try again later, or ask the server administrator to unlock it.",
    ),
    ("login.throttled", "Too many failed sign-in attempts from your address. Wait a few minutes before trying again."),
    ("login.expired", "The sign-in form expired. Please try again."),
    ("login.busy", "Too many people are signing in at this moment. Try again in a few seconds."),
    ("password.title", "Change password"),
    ("password.required", "Your password must be changed before you continue: choose a new one."),
    ("password.current", "Current password"),
    ("password.new", "New password (at least 8 characters)"),
    ("password.repeat", "Repeat the new password"),
    ("password.submit", "Change password"),
    ("password.mismatch", "The two new passwords differ."),
    ("password.link", "Change password"),
    ("home.hello", "Hello"),
    ("home.today", "Conferences today"),
    ("home.no_today", "You have no conferences scheduled for today."),
    ("home.rooms", "Virtual rooms"),
    ("home.no_rooms", "You have no virtual rooms."),
    ("home.rights", "Your rights"),
    ("home.rights_hint", "If a feature you need is not available, ask the server administrator for the right."),
    ("home.available", "available"),
    ("home.unavailable", "not available"),
    ("conf.id", "ID"),
    ("conf.role.owner", "owner"),
    ("conf.role.moderator", "moderator"),
    ("conf.role.participant", "participant"),
    ("conf.minutes", "min"),
    ("conf.pin", "PIN"),
    ("conf.public", "public"),
    ("conf.private", "private"),
    ("license.title", "PRO license"),
    ("license.permanent", "Permanent PRO license"),
    ("license.temporary", "Temporary PRO license, valid until"),
    ("license.expired", "Your temporary PRO license expired on"),
    (
        "license.none",
        "You have no PRO license, so you cannot join conferences as a participant, owner or moderator. Ask the server administrator for one.",
    ),
    (
        "license.help",
        "A PRO license lets you take part in conferences on this server as a participant, owner or moderator.",
    ),
    ("license.renew", "Renew for 24 hours"),
    ("license.renewed", "Your license was renewed for 24 hours."),
    ("license.renew_denied", "Your license cannot be renewed here. Ask the server administrator."),
    ("right.edit_address_book", "Address book editing"),
    (
        "right.edit_address_book.help",
        "Edit your list of contacts (users and call strings). Without it you see the address book the administrator provides, without editing it.",
    ),
    ("right.make_calls", "Make calls (video calls)"),
    (
        "right.make_calls.help",
        "Call another user directly, both seeing and hearing each other. Without it you can only receive calls.",
    ),
    ("right.create_conferences", "Create group conferences"),
    (
        "right.create_conferences.help",
        "Create conferences in the modes all on screen, video lecture and role-based. Without it you can only join conferences.",
    ),
    ("right.screen_sharing", "Screen sharing"),
    (
        "right.screen_sharing.help",
        "Share your desktop or an application window. Viewing what others share does not need this right.",
    ),
    ("right.remote_desktop", "Remote desktop control"),
    (
        "right.remote_desktop.help",
        "Meant for controlling other participants' desktops when they allow it. A browser cannot give another person control of its computer, so this right has no effect in Tessera's conference page.",
    ),
    ("right.slideshow", "Slide show"),
    ("right.slideshow.help", "Show slides in a conference. Viewing slides shown by others does not need this right."),
    ("right.file_sharing", "File sharing"),
    (
        "right.file_sharing.help",
        "Send files in conference chats. Messages and downloading files do not need this right.",
    ),
    ("right.recording", "Conference recording"),
    (
        "right.recording.help",
        "Record calls and conferences in your client. Server-side recording of scheduled meetings does not depend on it.",
    ),
    ("right.operator", "Operator rights"),
    (
        "right.operator.help",
        "Become an operator of every conference you join: invite and remove participants, give and take the podium, end the conference, set layouts and control participants' devices. Nobody, not even the owner, can take this status from you.",
    ),
    ("profile.title", "Profile settings"),
    ("profile.account", "Account"),
    ("profile.avatar", "Avatar"),
    ("profile.other", "Other settings"),
    ("profile.login", "Username"),
    ("profile.display_name", "Display name"),
    ("profile.email", "Email"),
    ("profile.phone", "Phone"),
    ("profile.company", "Company"),
    ("profile.position", "Position"),
    ("profile.language", "Interface language"),
    ("profile.time_zone", "Time zone"),
    ("profile.save", "Save"),
    ("profile.saved", "Your profile was saved."),
    ("profile.make_photo", "Make a photo"),
    ("profile.take", "Take the photo"),
    ("profile.upload", "Upload an image"),
    (
        "profile.avatar_hint",
        "PNG, JPEG or WebP, at most 1 MiB, between 16 and 4096 pixels on each side. Your browser may ask for access to the webcam.",
    ),
    ("profile.avatar_saved", "Avatar saved."),
    ("profile.remove_avatar", "Remove avatar"),
    ("profile.camera_error", "The webcam could not be opened:"),
    ("download.title", "How to connect"),
    ("download.browser", "In a browser"),
    (
        "download.browser_text",
        "Chrome, Chromium, Edge and Firefox join conferences from the conference page, with nothing to install. There is no application to download. From another machine the camera and microphone need the page over https://.",
    ),
    ("download.sip", "SIP softphones and room systems"),
    (
        "download.sip_text",
        "Any SIP endpoint (for example Linphone or baresip) can dial a conference at this address, where ID is the conference ID:",
    ),
    ("download.h323", "H.323 room systems"),
    (
        "download.h323_text",
        "H.323 is not supported yet. Most H.323 room systems also speak SIP: set them to SIP and dial the address above.",
    ),
    ("error.title", "Something went wrong"),
    ("error.not_found", "This page does not exist, or you may not see it."),
    ("error.back", "Back to the main page"),
    ("day.mo", "Mo"),
    ("day.tu", "Tu"),
    ("day.we", "We"),
    ("day.th", "Th"),
    ("day.fr", "Fr"),
    ("day.sa", "Sa"),
    ("day.su", "Su"),
    ("layout.grid", "Grid"),
    ("layout.one_large_below", "One large, others below"),
    ("layout.one_large_beside", "One large, others beside"),
    ("layout.one_large_centre", "One large in the centre"),
    ("layout.picture_in_picture", "Picture in picture"),
    ("layout.row", "One row"),
    ("layout.two_large_below", "Two large, others below"),
    ("rec.download", "Download recording"),
    ("rec.download_one", "Download"),
    ("rec.list", "Conference recordings"),
    ("rec.started", "Started"),
    ("rec.duration", "Duration"),
    ("rec.size", "Size"),
    ("rec.state", "State"),
    ("rec.state.complete", "complete"),
    ("rec.state.interrupted", "interrupted (the server stopped)"),
    ("rec.state.failed", "failed"),
    ("nav.meetings", "Meetings"),
    ("nav.rooms", "Virtual rooms"),
    ("nav.templates", "Templates"),
    ("nav.contacts", "Contacts"),
    ("nav.calls", "Call history"),
    ("calls.title", "Call history"),
    (
        "calls.empty",
        "No calls yet. Calls you make to other users from your SIP phone, theirs to you, and the calls your conferences place to people you add are listed here.",
    ),
    ("calls.when", "When"),
    ("calls.direction", "Direction"),
    ("calls.outgoing", "outgoing"),
    ("calls.incoming", "incoming"),
    ("calls.peer", "With"),
    ("calls.duration", "Duration"),
    ("calls.result", "Result"),
    ("calls.details", "Call details"),
    ("calls.answered_at", "Answered"),
    ("calls.ended_at", "Ended"),
    ("calls.conference", "Conference"),
    ("calls.open_card", "open its card"),
    ("calls.result.ringing", "ringing or in progress"),
    ("calls.result.answered", "answered"),
    ("calls.result.missed", "missed"),
    ("calls.result.busy", "busy"),
    ("calls.result.declined", "declined"),
    ("calls.result.failed", "failed"),
    ("contacts.title", "Contacts"),
    ("contacts.empty", "The address book is empty."),
    ("contacts.remove", "Remove from the address book"),
    ("contacts.add", "Add a contact"),
    ("contacts.login", "A user of the server (login)"),
    ("contacts.address", "or a SIP/H.323 address"),
    ("contacts.name", "Name (optional)"),
    (
        "contacts.no_right",
        "This is the address book your administrator provides; editing your own needs a right the administrator gives.",
    ),
    ("contacts.shared", "shared"),
    ("contacts.shared_help", "From the address book your administrator provides to everyone"),
];

const RU: &[(&str, &str)] = &[
    ("cpage.missing", "Такой конференции нет"),
    ("cpage.sign_in_hint", "Если вас пригласили в закрытую конференцию, войдите, чтобы её увидеть."),
    ("cpage.owner", "Владелец"),
    ("cpage.access", "Доступ"),
    ("cpage.kind", "Тип"),
    ("cpage.room", "Виртуальная комната: доступна всегда"),
    ("cpage.scheduled", "Запланированная встреча:"),
    ("cpage.location", "Место"),
    ("cpage.description", "Описание"),
    ("cpage.sip", "Адрес SIP/H.323"),
    ("cpage.not_started", "Конференция ещё не началась. Вернитесь ко времени её начала."),
    ("cpage.pin", "PIN-код"),
    ("cpage.join_browser", "Войти из браузера"),
    ("cpage.join_app", "Войти из приложения"),
    (
        "cpage.no_license",
        "У вас нет действующей PRO-лицензии, поэтому вы не можете участвовать как участник, владелец или модератор. Обратитесь к администратору.",
    ),
    ("cpage.guest", "Войти как гость"),
    ("cpage.sign_in_to_join", "Есть учётная запись на этом сервере? Войдите, чтобы участвовать под своим именем."),
    ("cpage.your_name", "Ваше имя"),
    ("cpage.join_guest", "Войти как гость"),
    ("call.mic", "Микрофон"),
    ("call.cam", "Камера"),
    ("call.hangup", "Завершить"),
    ("call.chat", "Чат"),
    ("call.send", "Отправить"),
    ("call.send_file", "Отправить файл"),
    ("ring.calling", "Вызов: {name}…"),
    ("ring.incoming", "Вам звонит {name}"),
    ("ring.accept", "Ответить"),
    ("ring.decline", "Отклонить"),
    ("ring.cancel", "Отменить"),
    ("ring.answered", "{name} ответил(а)."),
    ("ring.declined", "{name} отклонил(а) вызов."),
    ("ring.missed", "{name} не ответил(а)."),
    ("calls.make", "Позвонить"),
    (
        "calls.make_help",
        "Логин пользователя или SIP-адрес (sip:имя@хост). Звонок откроется в вашем браузере, у собеседника зазвонит.",
    ),
    ("calls.to", "Кому позвонить"),
    ("calls.call", "Позвонить"),
    ("calls.no_right", "Вы можете принимать звонки; чтобы звонить, нужно право «Звонки»."),
    ("call.slides", "Показать слайды (PDF)…"),
    ("call.slide_prev", "Назад"),
    ("call.slide_next", "Вперёд"),
    ("call.slides_stop", "Закончить показ слайдов"),
    ("call.file_too_big", "Файл слишком большой: не более {max}."),
    ("call.file_sending", "Отправка"),
    ("call.share", "Показать экран"),
    ("call.share_ended", "Показ экрана остановлен:"),
    ("call.joining", "Подключение…"),
    ("call.connected", "Вы в конференции."),
    ("call.mic_off", "Модератор выключил ваш микрофон."),
    ("call.cam_off", "Модератор выключил вашу камеру."),
    ("call.ended", "Вы вышли из конференции:"),
    ("call.left", "Вы вышли из конференции."),
    ("call.record", "Записать"),
    ("call.my_layout", "Моя раскладка"),
    ("call.layout_conference", "Как у конференции"),
    ("call.ask_podium", "Попросить слова"),
    ("call.podium_asked", "Вы попросили слова; модератор ответит."),
    ("call.podium_approved", "Модератор пригласил вас на трибуну: вас видят и слышат все."),
    ("call.podium_declined", "Модератор отклонил вашу просьбу о слове."),
    ("call.record_stop", "Остановить запись"),
    ("call.record_help", "Записывает то, что вы видите и слышите, в файл WebM на этом компьютере."),
    ("call.failed", "Медиасоединение не установлено: возможно, ваша сеть блокирует UDP до этого сервера."),
    ("app.tagline", "Видеоконференции на вашем собственном сервере"),
    (
        "app.intro",
        "Войдите, чтобы увидеть конференции на сегодня, свои виртуальные комнаты и права, а также изменить профиль.",
    ),
    ("nav.home", "Главная"),
    ("nav.profile", "Настройки профиля"),
    ("nav.download", "Как подключиться"),
    ("footer.source", "Исходный код"),
    ("source.title", "Исходный код"),
    (
        "source.license",
        "Tessera — свободная программа под лицензией GNU Affero General Public License версии 3 или более поздней. Этот сервер работает на версии",
    ),
    (
        "source.unknown",
        "Администратор сервера ещё не указал, где опубликован его исходный код. Попросите его у администратора: лицензия даёт вам на это право.",
    ),
    ("nav.sign_in", "Войти"),
    ("nav.sign_out", "Выйти"),
    ("login.title", "Вход"),
    ("login.login", "Логин"),
    ("login.password", "Пароль"),
    ("login.submit", "Войти"),
    ("login.hint", "Логин и пароль выдаёт администратор сервера."),
    ("login.failed", "Неверный логин или пароль."),
    (
        "login.locked",
        "Учётная запись заблокирована после слишком многих неудачных попыток входа. Повторите попытку позже или попросите администратора сервера разблокировать её.",
    ),
    (
        "login.throttled",
        "Слишком много неудачных попыток входа с вашего адреса. Подождите несколько минут и повторите попытку.",
    ),
    ("login.expired", "Срок действия формы входа истёк. Повторите попытку."),
    ("login.busy", "Сейчас входит слишком много пользователей. Повторите попытку через несколько секунд."),
    ("password.title", "Смена пароля"),
    ("password.required", "Прежде чем продолжить, смените пароль: выберите новый."),
    ("password.current", "Текущий пароль"),
    ("password.new", "Новый пароль (не менее 8 символов)"),
    ("password.repeat", "Повторите новый пароль"),
    ("password.submit", "Сменить пароль"),
    ("password.mismatch", "Новые пароли не совпадают."),
    ("password.link", "Сменить пароль"),
    ("home.hello", "Здравствуйте"),
    ("home.today", "Конференции сегодня"),
    ("home.no_today", "На сегодня у вас нет запланированных конференций."),
    ("home.rooms", "Виртуальные комнаты"),
    ("home.no_rooms", "У вас нет виртуальных комнат."),
    ("home.rights", "Ваши права"),
    ("home.rights_hint", "Если нужная функция недоступна, попросите права у администратора сервера."),
    ("home.available", "доступно"),
    ("home.unavailable", "недоступно"),
    ("conf.id", "ID"),
    ("conf.role.owner", "владелец"),
    ("conf.role.moderator", "модератор"),
    ("conf.role.participant", "участник"),
    ("conf.minutes", "мин"),
    ("conf.pin", "PIN"),
    ("conf.public", "публичная"),
    ("conf.private", "закрытая"),
    ("license.title", "PRO-лицензия"),
    ("license.permanent", "Постоянная PRO-лицензия"),
    ("license.temporary", "Временная PRO-лицензия, действует до"),
    ("license.expired", "Срок действия временной PRO-лицензии истёк"),
    (
        "license.none",
        "У вас нет PRO-лицензии, поэтому вы не можете участвовать в конференциях как участник, владелец или модератор. Обратитесь к администратору сервера.",
    ),
    (
        "license.help",
        "PRO-лицензия позволяет участвовать в конференциях на этом сервере как участник, владелец или модератор.",
    ),
    ("license.renew", "Продлить на 24 часа"),
    ("license.renewed", "Лицензия продлена на 24 часа."),
    ("license.renew_denied", "Лицензию нельзя продлить здесь. Обратитесь к администратору сервера."),
    ("right.edit_address_book", "Редактирование адресной книги"),
    (
        "right.edit_address_book.help",
        "Изменять список контактов (пользователей и строк вызова). Без этого права вы видите адресную книгу от администратора без возможности её менять.",
    ),
    ("right.make_calls", "Звонки (видеозвонки)"),
    (
        "right.make_calls.help",
        "Звонить другому пользователю напрямую: вы видите и слышите друг друга. Без этого права можно только принимать звонки.",
    ),
    ("right.create_conferences", "Создание групповых конференций"),
    (
        "right.create_conferences.help",
        "Создавать конференции в режимах «все на экране», «видеолекция» и «ролевой». Без этого права можно только участвовать в конференциях.",
    ),
    ("right.screen_sharing", "Показ экрана"),
    (
        "right.screen_sharing.help",
        "Показывать рабочий стол или окно приложения. Смотреть чужой показ можно и без этого права.",
    ),
    ("right.remote_desktop", "Удалённое управление рабочим столом"),
    (
        "right.remote_desktop.help",
        "Предназначено для управления рабочими столами других участников с их разрешения. Браузер не может передать управление своим компьютером другому человеку, поэтому на странице конференции Tessera это право ничего не даёт.",
    ),
    ("right.slideshow", "Показ слайдов"),
    ("right.slideshow.help", "Показывать слайды в конференции. Смотреть чужие слайды можно и без этого права."),
    ("right.file_sharing", "Передача файлов"),
    (
        "right.file_sharing.help",
        "Отправлять файлы в чаты конференций. Сообщения и скачивание файлов доступны и без этого права.",
    ),
    ("right.recording", "Запись конференций"),
    (
        "right.recording.help",
        "Записывать звонки и конференции в клиентском приложении. Запись на сервере запланированных встреч от этого права не зависит.",
    ),
    ("right.operator", "Права оператора"),
    (
        "right.operator.help",
        "Становиться оператором каждой конференции, в которую вы входите: приглашать и удалять участников, давать и забирать трибуну, завершать конференцию, настраивать раскладки и управлять устройствами участников. Никто, даже владелец, не может лишить вас этого статуса.",
    ),
    ("profile.title", "Настройки профиля"),
    ("profile.account", "Учётная запись"),
    ("profile.avatar", "Аватар"),
    ("profile.other", "Другие настройки"),
    ("profile.login", "Логин"),
    ("profile.display_name", "Отображаемое имя"),
    ("profile.email", "Эл. почта"),
    ("profile.phone", "Телефон"),
    ("profile.company", "Организация"),
    ("profile.position", "Должность"),
    ("profile.language", "Язык интерфейса"),
    ("profile.time_zone", "Часовой пояс"),
    ("profile.save", "Сохранить"),
    ("profile.saved", "Профиль сохранён."),
    ("profile.make_photo", "Сделать фото"),
    ("profile.take", "Снять"),
    ("profile.upload", "Загрузить изображение"),
    (
        "profile.avatar_hint",
        "PNG, JPEG или WebP, не больше 1 МиБ, от 16 до 4096 пикселей по каждой стороне. Браузер может запросить доступ к веб-камере.",
    ),
    ("profile.avatar_saved", "Аватар сохранён."),
    ("profile.remove_avatar", "Удалить аватар"),
    ("profile.camera_error", "Не удалось открыть веб-камеру:"),
    ("download.title", "Как подключиться"),
    ("download.browser", "В браузере"),
    (
        "download.browser_text",
        "Chrome, Chromium, Edge и Firefox подключаются к конференциям со страницы конференции, ничего не устанавливая. Отдельного приложения нет. С другого компьютера камере и микрофону нужна страница по https://.",
    ),
    ("download.sip", "SIP-телефоны и терминалы"),
    (
        "download.sip_text",
        "Любой SIP-терминал (например, Linphone или baresip) может позвонить в конференцию по этому адресу, где ID — идентификатор конференции:",
    ),
    ("download.h323", "H.323-терминалы"),
    (
        "download.h323_text",
        "H.323 пока не поддерживается. Большинство H.323-терминалов умеют и SIP: переключите их на SIP и наберите адрес выше.",
    ),
    ("error.title", "Что-то пошло не так"),
    ("error.not_found", "Этой страницы нет, или у вас нет к ней доступа."),
    ("error.back", "На главную"),
    ("day.mo", "Пн"),
    ("day.tu", "Вт"),
    ("day.we", "Ср"),
    ("day.th", "Чт"),
    ("day.fr", "Пт"),
    ("day.sa", "Сб"),
    ("day.su", "Вс"),
    ("layout.grid", "Сетка"),
    ("layout.one_large_below", "Одно большое окно, остальные снизу"),
    ("layout.one_large_beside", "Одно большое окно, остальные сбоку"),
    ("layout.one_large_centre", "Одно большое окно в центре"),
    ("layout.picture_in_picture", "Картинка в картинке"),
    ("layout.row", "Один ряд"),
    ("layout.two_large_below", "Два больших окна, остальные снизу"),
    ("rec.download", "Скачать запись"),
    ("rec.download_one", "Скачать"),
    ("rec.list", "Записи конференции"),
    ("rec.started", "Начало"),
    ("rec.duration", "Длительность"),
    ("rec.size", "Размер"),
    ("rec.state", "Состояние"),
    ("rec.state.complete", "готова"),
    ("rec.state.interrupted", "прервана (сервер остановился)"),
    ("rec.state.failed", "ошибка"),
    ("nav.meetings", "Конференции"),
    ("nav.rooms", "Виртуальные комнаты"),
    ("nav.templates", "Шаблоны"),
    ("nav.contacts", "Контакты"),
    ("nav.calls", "История звонков"),
    ("calls.title", "История звонков"),
    (
        "calls.empty",
        "Звонков пока нет. Здесь появятся ваши звонки другим пользователям с SIP-телефона, их звонки вам и вызовы, которые ваши конференции делают добавленным вами участникам.",
    ),
    ("calls.when", "Когда"),
    ("calls.direction", "Направление"),
    ("calls.outgoing", "исходящий"),
    ("calls.incoming", "входящий"),
    ("calls.peer", "С кем"),
    ("calls.duration", "Длительность"),
    ("calls.result", "Итог"),
    ("calls.details", "Сведения о звонке"),
    ("calls.answered_at", "Ответ"),
    ("calls.ended_at", "Завершён"),
    ("calls.conference", "Конференция"),
    ("calls.open_card", "открыть карточку"),
    ("calls.result.ringing", "звонит или идёт"),
    ("calls.result.answered", "отвечен"),
    ("calls.result.missed", "пропущен"),
    ("calls.result.busy", "занято"),
    ("calls.result.declined", "отклонён"),
    ("calls.result.failed", "не удался"),
    ("contacts.title", "Контакты"),
    ("contacts.empty", "Адресная книга пуста."),
    ("contacts.remove", "Удалить из адресной книги"),
    ("contacts.add", "Добавить контакт"),
    ("contacts.login", "Пользователь сервера (логин)"),
    ("contacts.address", "или адрес SIP/H.323"),
    ("contacts.name", "Имя (необязательно)"),
    (
        "contacts.no_right",
        "Это адресная книга, которую предоставляет администратор; чтобы вести свою, нужно право, которое даёт администратор.",
    ),
    ("contacts.shared", "общий"),
    ("contacts.shared_help", "Из адресной книги, которую администратор предоставляет всем"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn tables_have_the_same_keys_and_no_duplicates() {
        let en_all: Vec<_> = EN_TABLES.iter().flat_map(|t| t.iter()).collect();
        let ru_all: Vec<_> = RU_TABLES.iter().flat_map(|t| t.iter()).collect();
        let en: BTreeSet<_> = en_all.iter().map(|(k, _)| *k).collect();
        let ru: BTreeSet<_> = ru_all.iter().map(|(k, _)| *k).collect();
        assert_eq!(en.len(), en_all.len(), "duplicate key in EN");
        assert_eq!(ru.len(), ru_all.len(), "duplicate key in RU");
        let missing: Vec<_> = en.symmetric_difference(&ru).collect();
        assert!(missing.is_empty(), "keys in one table only: {missing:?}");
    }

    #[test]
    fn every_right_is_translated() {
        for r in crate::rights::Right::ALL {
            for l in Lang::ALL {
                assert_ne!(tr(l, r.title_key()), r.title_key());
                assert_ne!(tr(l, r.help_key()), r.help_key());
            }
        }
    }

    #[test]
    fn accept_language() {
        assert_eq!(Lang::from_accept_language(Some("ru-RU,ru;q=0.9,en;q=0.8")), Lang::Ru);
        assert_eq!(Lang::from_accept_language(Some("de,en;q=0.5,ru;q=0.4")), Lang::En);
        assert_eq!(Lang::from_accept_language(Some("xx")), Lang::En);
        assert_eq!(Lang::from_accept_language(None), Lang::En);
    }
}
