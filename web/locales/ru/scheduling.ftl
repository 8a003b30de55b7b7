# Tessera: the scheduling strings (Russian). Message ids are the keys of
# `tr()` with dots written as dashes (`cpage.owner` is `cpage-owner`).

sched-access = Тип конференции
sched-access-private = Закрытая
sched-access-public = Публичная (вебинар)
sched-step-private_help = Подключиться могут только приглашённые вами участники и пользователи, которым вы это разрешили.
sched-step-public_help = По ссылке может подключиться любой как гость или записаться, если включена регистрация.
sched-step-continue = Продолжить
sched-layout-window = Окно
sched-layout-fullscreen = Во весь экран
sched-layout-fullscreen_exit = Выйти из полноэкранного режима
sched-step-templates = Или начните с шаблона
sched-active_speakers = Количество активных докладчиков
sched-add = Добавить
sched-add_address = Добавить адрес SIP/H.323
sched-add_user = Добавить пользователя
sched-all_meetings = Все конференции
sched-calendar = Календарь
sched-cameras_off = Выключать камеры участников при подключении
sched-cancel = Отмена
sched-create_from_template = Создать конференцию
sched-create_template = Создать шаблон
sched-delete = Удалить
sched-delete_confirm = Удалить: идущая конференция будет завершена, участники отключены
sched-deleted = Конференция удалена.
sched-deleted_running = Конференция шла: она завершена и удалена.
sched-description = Описание
sched-edit = Изменить
sched-edit_running = Изменения вступят в силу при следующем запуске; идущая конференция сохраняет текущие настройки до завершения.
sched-edit_template = Изменить шаблон
sched-email_invitations = Отправить участникам приглашения по почте
sched-end = Окончание
sched-export = Добавить в календарь
sched-guest_permissions = Гостям разрешено
sched-id = ID конференции
sched-id-generated = будет создан при сохранении
sched-invited = Приглашено
sched-is_running = Эта конференция сейчас идёт.
sched-join_without_invitation = Пользователи сервера могут подключаться без приглашения
sched-kind = Расписание
sched-kind-room = Виртуальная комната
sched-kind-scheduled = Запланированная встреча
sched-layout-content_slot = + Окно для контента
sched-layout-custom = Задать эту раскладку
sched-layout-scope = Раскладка для
sched-multicast = Транслировать конференцию в группу multicast
sched-multicast-group = Группа multicast
sched-multicast-port = Порт (видео; звук на порту + 2)
sched-layout-scope-all = Все участники
sched-layout-fill = Окна
sched-layout-fill-assign = Назначить участников в окна
sched-layout-fill-auto = Заполнять автоматически
sched-layout-lecture = Раскладки недоступны в режиме видеолекции.
sched-layout-locked = Не разрешать пользователям менять раскладку
sched-layout-names = Имена
sched-layout-names-bottom = Внизу
sched-layout-names-hidden = Скрыты
sched-layout-names-top = Вверху
sched-layout-type = Тип раскладки
sched-layout-windows = Количество окон
sched-location = Место
sched-meetings = Конференции
sched-encrypted_media = Только зашифрованные медиапотоки
sched-encrypted_media-hint = SIP-телефоны должны звонить по TLS с SRTP; вызовы H.323, которые Tessera не умеет шифровать, отклоняются. Браузеры шифруют всегда.
sched-microphones_off = Выключать микрофоны участников при подключении
sched-mode = Режим
sched-mode-all_on_screen = Все на экране
sched-mode-role_based = Ролевой
sched-mode-video_lecture = Видеолекция
sched-name = Название
sched-new_conference = Новая конференция
sched-new_room = Новая комната
sched-no_meetings = Нет запланированных конференций.
sched-no_templates = Шаблонов пока нет.
sched-open_page = Страница конференции
sched-perm-camera = камеру
sched-perm-chat = чат
sched-perm-microphone = микрофон
sched-pick = Выберите конференцию, чтобы увидеть её карточку.
sched-pin_enabled = PIN для подключения
sched-record = Записывать конференцию
sched-recording_hint = Видеозапись этой конференции будет сохранена на сервере.
sched-recurrence = Повторять
sched-recurrence-after = после
sched-recurrence-daily = Ежедневно
sched-recurrence-ends = Окончание повторов
sched-recurrence-every = каждые
sched-recurrence-monthly = Ежемесячно
sched-recurrence-none = Не повторять
sched-recurrence-occurrences = повторений
sched-recurrence-until = до
sched-recurrence-weekly = Еженедельно
sched-recurring = повторяется
sched-role = Роль
sched-save = Сохранить
sched-save_as_template = Сохранить как шаблон
sched-saved = Сохранено.
sched-search_users = логин или имя
sched-speaker = Докладчик
sched-start = Начало
sched-tab-additional = Дополнительно
sched-tab-general = Общие
sched-tab-layout = Раскладка
sched-tab-participants = Участники
sched-template_name = название шаблона
sched-templates = Шаблоны
sched-url = Адрес
sched-when = Когда
sched-from_contacts = Из адресной книги
sched-layout-slot-auto = заполняется автоматически
sched-layout-slot-empty = остаётся пустым
sched-unit-days = дн.
sched-unit-weeks = нед.
sched-unit-months = мес.

## Повторы, с формами числа.
sched-every-days = { $n ->
    [one] каждый { $n } день
    [few] каждые { $n } дня
    [many] каждые { $n } дней
   *[other] каждые { $n } дня
}
sched-every-weeks = { $n ->
    [one] каждую { $n } неделю
    [few] каждые { $n } недели
    [many] каждые { $n } недель
   *[other] каждые { $n } недели
}
sched-every-months = { $n ->
    [one] каждый { $n } месяц
    [few] каждые { $n } месяца
    [many] каждые { $n } месяцев
   *[other] каждые { $n } месяца
}
sched-occurrences-n = { $n ->
    [one] { $n } повторение
    [few] { $n } повторения
    [many] { $n } повторений
   *[other] { $n } повторения
}
sched-until-date = до { $date }
