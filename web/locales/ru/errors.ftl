# Сообщения об ошибках API и форм: что пользователь видит, когда запрос отклонён.
# Ключи — err-…; аргументы — значения, которые сообщение называет.

err-from-1 = не меньше 1
err-give-password-mail-link = укажите пароль или отправьте ссылку по почте, но не то и другое
err-user-already-exists = пользователь { $login } уже существует
err-date-yyyy-mm-dd = дата в виде ГГГГ-ММ-ДД
err-day-over = этот день уже прошёл
err-you-cannot-disable-your = нельзя отключить собственную учётную запись
err-you-cannot-give-up = нельзя снять с себя роль администратора; это может сделать другой администратор
err-you-cannot-lock-your = нельзя заблокировать собственную учётную запись
err-account-was-made-but = учётная запись { $login } создана, но { $e }; отправьте ссылку ещё раз со страницы пользователя
err-empty = пусто
err-avatar-at-most-bytes = аватар: не больше { $max_bytes } байт, получено { $len }
err-avatar-png-jpeg-webp = аватар: нужно изображение PNG, JPEG или WebP
err-avatar-content-type-does = аватар: Content-Type { $declared } не совпадает с данными изображения ({ $sniffed })
err-image-damaged-truncated = изображение повреждено или обрезано
err-between-16-4096-pixels = каждая сторона должна быть от 16 до 4096 пикселей, получено { $width }x{ $height }
err-none-permanent-temporary = none, permanent или temporary
err-disable-enable-lock-unlock = disable, enable, lock, unlock, reset или mail_link
err-no-such-setting = такой настройки нет
err-set-change-there = задано в { $source }; измените там
err-from-1-100000 = от 1 до 100000
err-json-csv = json или csv
err-only-owner-moderators-operators = настраивать устройства участников могут только владелец, модераторы и операторы
err-not-one-devices-participant = нет среди устройств, о которых сообщил браузер участника
err-choose-camera-microphone-speaker = выберите камеру, микрофон или динамик
err-participant-s-page-busy = страница участника занята или закрыта; попробуйте ещё раз
err-only-owner-moderators-operators-2 = управлять конференцией могут только владелец, модераторы и операторы
err-websocket-come-from-server = WebSocket должен открываться со страниц этого сервера
err-email-off-set-smtp = почта выключена: задайте host в разделе [smtp] файла настроек
err-give-exactly-one-user = укажите что-то одно: пользователя, контакт или адрес
err-at-most-64-characters = не длиннее 64 символов, без управляющих символов
err-no-user = нет пользователя { $id }
err-calling-address-needs-make = для звонка на адрес нужно право «Совершать звонки»
err-no-contact-your-address = в вашей адресной книге нет контакта { $id }
err-contact-has-neither-user = у этого контакта нет ни пользователя, ни адреса
err-only-owner-moderators-operators-3 = добавлять участников могут только владелец, модераторы и операторы
err-media-plane-not-running = медиасервер на этом сервере не запущен
err-conference-not-running-start = конференция не идёт: запустите её, прежде чем добавлять участников
err-sip-not-running-server = SIP на этом сервере не запущен
err-too-many-conference-pages = с вашего адреса уже слишком много страниц конференций в звонке
err-recording-still-being-made = запись ещё идёт; скачайте её, когда конференция закончится
err-recording-s-file-gone = файла записи больше нет в папке записей
err-recording-still-being-made-2 = запись ещё идёт; сначала остановите её или завершите конференцию
err-call-no-longer-ringing = вызов уже не звонит
err-you-have-no-right = у вас нет права совершать звонки (принимать их можно без права)
err-give-user-s-login = укажите логин пользователя или адрес SIP (sip:…)
err-at-most-calls-may = одновременно может звонить не больше { $max_ringing_per_caller } { $max_ringing_per_caller ->
        [one] вызова
       *[other] вызовов
    }: дождитесь ответа
err-no-user-has-login = нет пользователя с таким логином
err-you-cannot-call-yourself = нельзя позвонить самому себе
err-you-do-not-have = у вас нет права изменять адресную книгу
err-give-user-s-login-2 = укажите логин пользователя или адрес
err-give-user-s-login-3 = укажите логин пользователя или адрес, но не то и другое
err-you = это вы
err-there-no-user = нет пользователя { $login }
err-address-book-holds-at = в адресной книге может быть не больше { $max_contacts } { $max_contacts ->
        [one] контакта
       *[other] контактов
    }
err-address-book-already = уже есть в адресной книге
err-shared-address-book-changed = общую адресную книгу изменяют операторы и администратор
err-shared-address-book-already = уже есть в общей адресной книге
err-required = обязательное поле
err-not-contain-control-characters = не должно содержать управляющих символов
err-may-contain-only-lower = может содержать только строчные латинские буквы a-z, цифры, «.», «_» и «-» и должно начинаться с буквы или цифры
err-at-least-characters = не короче { $min_password } { $min_password ->
        [one] символа
       *[other] символов
    }
err-was-published-may-not = этот пароль опубликован, использовать его нельзя; выберите другой
err-email-address-like-name = нужен адрес электронной почты вида name@example.org
err-may-contain-only-digits = может содержать только цифры, пробелы и + - ( ) .
err-one-en-ru = одно из: en, ru
err-iana-time-zone-such = нужен часовой пояс IANA, например Europe/Moscow или UTC
err-body-json-content-type = тело запроса должно быть в JSON (Content-Type: application/json)
err-could-not-read-body = не удалось прочитать тело запроса: { $e }
err-malformed-json = ошибка в JSON: { $inner }
err-email-off-set-smtp-2 = почта выключена: чтобы отправлять ссылки, задайте host в разделе [smtp] файла настроек
err-link-mailed-user-s = ссылка отправляется на адрес пользователя: укажите его
err-email-off = почта выключена
err-too-many-failed-attempts = слишком много неудачных попыток с этого адреса; попробуйте позже
err-wrong-username-password = неверное имя пользователя или пароль
err-too-many-failed-sign = слишком много неудачных попыток входа с вашего адреса; подождите несколько минут
err-too-many-sign-ins = слишком много входов одновременно; попробуйте через минуту
err-wrong = неверно
err-differ-from-current-password = должен отличаться от текущего пароля
err-too-many-failed-attempts-2 = слишком много неудачных попыток с вашего адреса; подождите несколько минут
err-server-busy-checking-passwords = сервер занят проверкой паролей; попробуйте ещё раз
err-administrator-does-not-allow = администратор не разрешает продлевать лицензии здесь
err-you-have-no-temporary = у вас нет временной лицензии, которую можно продлить
err-owner-only-history = история подключений доступна владельцу конференции и операторам
err-owner-only-recordings = список записей доступен владельцу конференции и операторам
err-owner-only-chat = история чата доступна владельцу конференции и операторам
err-owner-only-analytics = аналитика доступна владельцу конференции и операторам
err-only-owner-moderators-operators-4 = управлять конференцией могут только владелец, модераторы и операторы
err-use-get-status = для состояния используйте GET
err-only-operators-direct-media = направлять медиапотоки на адреса и выбирать порты могут только операторы (оконечные устройства SIP договариваются о них сами)
err-conference-has-no-multicast = у этой конференции не идёт многоадресная трансляция
err-join-conference-page-send = чтобы отправлять файлы, войдите в конференцию на этой странице
err-you-have-no-right-2 = у вас нет права отправлять файлы; отправляйте сообщения
err-at-most-files-minute = не больше { $uploads_per_minute } { $uploads_per_minute ->
        [one] файла
       *[other] файлов
    } в минуту: подождите немного, прежде чем отправлять ещё
err-file-needs-name = у файла должно быть имя
err-file-may-at-most = файл может быть не больше { $max_bytes }
err-conference-s-files-may = файлы этой конференции могут занимать не больше { $quota_bytes } (занято { $size_text }, этот файл { $size_text2 })
err-upload-broke-off = загрузка прервалась: { $why }
err-tick-box-confirm = отметьте флажок, чтобы подтвердить
err-not-ipv4-address = { $group } — не адрес IPv4
err-not-multicast-group-224 = { $g } — не многоадресная группа (224.0.0.0/4)
err-port-even-from-1024 = порт должен быть чётным, от 1024 до 65532 (звук идёт на порт + 2)
err-ttl-from-1-255 = TTL должен быть от 1 до 255
err-use-1-64-characters = от 1 до 64 символов: a-z, 0-9, «-», «_» и «.», не в начале «.»
err-4-16-digits = от 4 до 16 цифр
err-date-time-like-2026 = нужны дата и время вида 2026-12-08T10:00
err-years-2000-2100 = год должен быть от 2000 до 2100
err-not-sip-h-323 = { $a } — не адрес SIP или H.323 вида sip:room@example.org
err-not-mo-su = { $d } — не день недели (mo…su)
err-give-end-date-number = укажите дату окончания или число повторений, но не то и другое
err-date-like-2027-01 = нужна дата вида 2027-01-31
err-recurring-conference-end-give = у повторяющейся конференции должен быть конец: укажите дату окончания или число повторений
err-private-public = private или public
err-scheduled-room = scheduled или room
err-all-screen-video-lecture = all_on_screen, video_lecture или role_based
err-virtual-rooms-do-not = виртуальные комнаты не повторяются: они доступны всегда
err-required-scheduled-meeting = обязательно для запланированного совещания
err-after-start = должно быть позже начала
err-meeting-lasts-at-most = совещание длится не больше 7 дней
err-required-give-duration-minutes = обязательное поле (или укажите duration_minutes)
err-recurring-meeting-lasts-at = повторяющееся совещание длится не больше 24 часов
err-owner-whoever-creates-conference = владелец — тот, кто создаёт конференцию
err-listed-twice = { $login } указан дважды
err-speakers-are-role-based = докладчики бывают только в конференциях с ролями
err-address-cannot-own-conference = адрес не может быть владельцем конференции
err-listed-twice-2 = { $addr } указан дважды
err-layouts-are-not-available = раскладки недоступны в режиме видеолекции
err-more-active-speakers-than = активных докладчиков больше, чем { $windows } { $windows ->
        [one] окно
        [few] окна
       *[other] окон
    } раскладки
err-window-kept-someone-who = окно закреплено за тем, кто не приглашён
err-not-invited = { $login } не приглашён
err-has-two-layouts = у { $login } две раскладки
err-taken-by-another-conference = занято другой конференцией
err-private-conferences-webinar-admits = только для закрытых конференций (на вебинар допускаются все)
err-may-contain-chat-microphone = может содержать chat, microphone и camera
err-administrator-has-not-configured = администратор не настроил сервер SMTP
err-administrator-does-not-let = администратор не разрешает пользователям задавать многоадресную трансляцию
err-you-do-not-have-2 = у вас нет права создавать конференции
err-template-cannot-read-any = шаблон больше не читается ({ $e }); откройте и сохраните его заново
err-only-conference-s-owner = изменять конференцию может только её владелец
err-cannot-changed-once-conference = нельзя изменить после создания конференции
err-after-from-at-most = должно быть позже from, не больше чем через 62 дня
err-1-64-characters = от 1 до 64 символов
err-virtual-room-has-no = у виртуальной комнаты нет расписания для выгрузки
err-field-listed-twice = поле { $key } указано дважды
err-at-most-custom-fields = не больше { $max_custom_fields } { $max_custom_fields ->
        [one] своего поля
       *[other] своих полей
    }
err-custom-field-needs-label = у своего поля должно быть название от 1 до { $max_label_chars } { $max_label_chars ->
        [one] символа
       *[other] символов
    }
err-not-field-use-name = { $key } — не поле: используйте name, email, phone, organization, position или своё поле
err-never-start-end-custom = never, start, end или custom
err-without-limitation-recurring-conferences = «без ограничения» — только для повторяющихся конференций
err-after-opening = должно быть позже открытия
err-sign-up-form-set = форма регистрации задаётся при создании конференции, изменить её нельзя
err-not-field-form = { $k } — не поле этой формы
err-sign-up-conference-s = регистрируйтесь на странице самой конференции
err-too-many-sign-ups = слишком много регистраций с вашего адреса: попробуйте через несколько минут
err-registration-has-not-opened = регистрация ещё не открыта
err-registration-closed = регистрация закрыта
err-registration-closed-conference-full = регистрация закрыта: мест больше нет
err-has-signed-up-already = уже зарегистрирован: воспользуйтесь полученной ссылкой для входа
err-organiser-does-not-let = организатор не разрешает пользователям добавлять себя на этот вебинар
err-one = одно из: { $join }
err-date-written-yyyy-mm = нужна дата в виде ГГГГ-ММ-ДД
err-entries-connections-chat = entries, connections или chat
err-not-before-start-interval = не раньше начала интервала
err-user-id-guest-id = user-ID или guest-ID
err-part-path = задаётся в пути запроса
err-missing-wrong-csrf-token = нет токена CSRF или он неверен; обновите страницу и попробуйте ещё раз
err-max-chars = не длиннее { $max } { $max ->
        [one] символа
       *[other] символов
    }
err-from-1-to = от 1 до { $max }
err-at-most-n = не больше { $max }
err-sign-in-required = нужно войти
err-not-found = не найдено
err-password-change-first = сначала выберите новый пароль (страница /password или POST /api/v1/me/password)
err-internal = внутренняя ошибка
err-smtp-refused = сервер SMTP не принял письмо: { $why }
err-account-locked = учётная запись заблокирована после слишком многих неудачных попыток; попробуйте позже
err-account-locked-sign-in = учётная запись заблокирована после слишком многих неудачных попыток входа; попробуйте позже или попросите администратора сервера её разблокировать
err-templates-full = у вас уже { $max } { $max ->
        [one] шаблон
        [few] шаблона
       *[other] шаблонов
    }; сначала удалите один
err-conference-not-running = конференция не идёт
err-no-participant = в этой конференции нет участника { $id }
err-registration-scheduled-only = только для запланированных конференций (у виртуальной комнаты нет начала, на которое можно зарегистрироваться)
err-registration-public-only = только для открытых конференций (вебинаров)
err-devices-not-remote = оконечное устройство этого участника не позволяет серверу выбирать его устройства (браузеры в конференции позволяют, оконечные устройства SIP и H.323 — нет)
err-sip-not-running = SIP не запущен
err-sip-did-not-answer = SIP не ответил
err-media-plane-stopped = медиасервер остановился
err-media-plane-did-not = медиасервер не ответил
err-webrtc-not-running = WebRTC не запущен
err-webrtc-did-not-answer = WebRTC не ответил

## Отказы ядра конференций (tessera-conference: live, admission, chat).
err-conference-full = в конференции нет мест ({ $max } { $max ->
        [one] участник
        [few] участника
       *[other] участников
    })
err-layouts-changed = раскладки изменились после того, как вы их открыли (версия { $loaded }, теперь { $now }): обновите и примените снова
err-layout-locked = модератор не разрешает менять раскладку
err-layout-too-small = нет раскладки, в которой поместятся все, кто на сцене
err-gain-range = от 0 до { $max }
err-guests-no-camera = организатор не разрешает гостям включать камеру
err-guests-no-microphone = организатор не разрешает гостям включать микрофон
err-podium-role-based-only = трибуна есть только в режиме с ролями
err-podium-full = на трибуне нет мест ({ $max } { $max ->
        [one] активный докладчик
        [few] активных докладчика
       *[other] активных докладчиков
    }); сначала уберите кого-нибудь
err-podium-already = вы уже на трибуне
err-podium-not-asked = { $name } не просил слова
err-operator-always-moderator = { $name } — оператор, модератор любой конференции
err-presenter-lecture-only = ведущий есть только в режиме видеолекции
err-join-sign-in = войдите, чтобы участвовать в этой конференции
err-join-hidden = такой конференции нет
err-join-not-on-list = вас нет в списке этого вебинара
err-join-no-license = у вас нет действующей лицензии PRO: нельзя войти как участник, владелец или модератор
err-join-guests-not-allowed = гости могут входить только на вебинары (открытые конференции)
err-join-sign-up-required = на этот вебинар допускаются зарегистрировавшиеся гости: зарегистрируйтесь, чтобы получить ссылку для входа
err-join-bad-link = эта ссылка для входа не подходит к этой конференции
err-join-pin-required = для этой конференции нужен PIN
err-join-draining = сервер скоро перезапустится для обслуживания: войдите снова через несколько минут
err-join-wrong-pin = неверный PIN
err-join-throttled = слишком много неверных PIN, паролей или ссылок с вашего адреса: подождите несколько минут
err-join-not-started = конференция ещё не началась
err-join-encryption-required = эта конференция принимает только зашифрованные медиапотоки: звоните по SIP TLS с SRTP
err-join-full = в конференции нет мест: никто больше не войдёт, пока кто-нибудь не выйдет
err-join-name-required = введите имя, чтобы войти как гость
err-join-name-long = не длиннее 64 символов
err-join-name-control = без управляющих символов
err-join-not-invited = вы не приглашены в эту конференцию
err-chat-guests-not-allowed = организатор не разрешает гостям писать в чат
err-chat-empty = сообщение пустое
err-chat-too-long = не длиннее { $max } { $max ->
        [one] символа
       *[other] символов
    }
err-chat-not-stored = сообщение не удалось сохранить; попробуйте ещё раз

## Сокет страницы конференции.
err-ws-join-first-message = сначала отправьте сообщение о входе (текст JSON)
err-ws-join-timeout = за 30 с не пришло сообщение о входе
err-ws-join-first = сначала войдите в конференцию
err-ws-malformed = ошибка в сообщении: { $why }
err-ws-malformed-join = ошибка в сообщении о входе: { $why }
err-ws-webrtc-off = браузеры не могут подключаться к этому серверу (WebRTC выключен)
err-ws-sign-in-as-yourself = войдите, чтобы участвовать под своим именем
err-ws-too-many-requests = слишком много запросов: подождите несколько секунд
err-ws-already-joined = вы уже вошли
err-ws-too-many-messages = слишком много сообщений: подождите несколько секунд
err-ws-camera-held = модератор выключил вашу камеру
err-ws-microphone-held = модератор выключил ваш микрофон
err-ws-no-right-slides = у вас нет права показывать слайды
err-ws-no-right-share = у вас нет права показывать свой экран

## Исходящие звонки (SIP).
err-dial-too-many-calls = слишком много звонков одновременно; попробуйте позже
err-dial-too-many-placed = в эту конференцию уже набирается { $max } { $max ->
        [one] звонок
        [few] звонка
       *[other] звонков
    }; дождитесь ответа на них
err-dial-no-phone = у { $login } нет зарегистрированного телефона SIP или терминала H.323, на который можно позвонить
err-dial-tls-off = для звонка по TLS (sips: или ;transport=tls) нужен sip.tls_listen: туда приходят запросы вызываемого в звонке
err-dial-password-in-address = адрес не должен содержать пароль
err-dial-sip-only = звонить можно только на адреса sip: и h323:
err-dial-encrypted-only = эта конференция принимает только зашифрованные медиапотоки, а они бывают только в звонках по SIP TLS: позвоните на адрес sips: (или добавьте ;transport=tls), попросите позвонить по SIP TLS с SRTP или войти из браузера
err-dial-h323-off = H.323 на этом сервере выключен (sip.h323_listen), поэтому на адреса h323: звонить нельзя
err-dial-not-h323 = { $address } — не адрес H.323: { $why }
err-dial-not-sip = { $address } — не адрес SIP: { $why }
err-dial-join-from-page = { $why }; он может войти со страницы конференции
err-server-devices-off = устройства, подключённые к серверу, выключены: задайте [devices] enabled = true
err-server-devices-none = укажите камеру, микрофон или и то и другое
err-server-devices-id = идентификатор устройства, как его выводит tessera devices list
err-server-devices-twice = { $field }: { $id } уже подключено к этой конференции
err-server-devices-operators = подключать устройства сервера к конференциям могут только операторы
err-preset-name = имя предустановки — от 1 до 40 символов
err-preset-no-camera = в этом подключении нет камеры
