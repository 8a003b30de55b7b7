# Tessera: the mail strings (Russian). Message ids are the keys of
# `tr()` with dots written as dashes (`cpage.owner` is `cpage-owner`).

mail-join_browser = Войти из браузера:
mail-join_sip = Войти с SIP-терминала:
mail-subject_invited = Приглашение
mail-subject_changed = Изменённое приглашение
mail-subject_cancelled = Отменено
mail-subject_join_link = Ваша ссылка для входа
mail-invited = Вас приглашают на конференцию
mail-changed = Организатор изменил конференцию
mail-removed = Вы больше не приглашены на конференцию
mail-deleted = Организатор отменил конференцию
mail-when = Когда
mail-recurring = повторяется (см. приложенное событие календаря)
mail-room = Виртуальная комната: входите в любое время.
mail-location = Место
mail-signed_up = Вы зарегистрировались на вебинар
mail-personal_link = Ваша личная ссылка для входа (работает на одном устройстве одновременно; не передавайте её другим):
mail-kind-request = Приглашение
mail-kind-cancel = Отмена
mail-kind-join_link = Ссылка для входа
mail-delivery = Доставка писем
mail-delivery_help = Письма, которые почтовый сервер не принял. Ожидающие будут отправлены повторно автоматически.
mail-status-pending = ожидает, следующая попытка
mail-status-failed = не доставлено
mail-attempts = попыток
mail-pwlink-subject = Tessera: выберите пароль
mail-pwlink-new-account = Администратор Tessera на { $server } создал вам учётную запись; ваш логин — { $login }.
mail-pwlink-reset = Администратор Tessera на { $server } прислал вам ссылку, чтобы выбрать новый пароль для { $login }.
mail-pwlink-choose = Выберите пароль здесь (ссылка срабатывает один раз и действует { $hours } { $hours ->
        [one] час
        [few] часа
       *[other] часов
    }):
mail-pwlink-unexpected = Если вы не ждали этого письма, просто не обращайте на него внимания.
mail-test-subject = Tessera: проверочное письмо
mail-test-body = Это письмо проверяет настройки почты сервера Tessera на { $server }.
    Если вы его читаете, приглашения тоже будут доходить.
