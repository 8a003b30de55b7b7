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
