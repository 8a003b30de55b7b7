# Tessera: the mail strings (English). Message ids are the keys of
# `tr()` with dots written as dashes (`cpage.owner` is `cpage-owner`).

mail-join_browser = Join from the browser:
mail-join_sip = Join from a SIP endpoint:
mail-subject_invited = Invitation
mail-subject_changed = Updated invitation
mail-subject_cancelled = Cancelled
mail-subject_join_link = Your link to join
mail-invited = You are invited to
mail-changed = The organiser has changed
mail-removed = You are no longer invited to
mail-deleted = The organiser has cancelled
mail-when = When
mail-recurring = recurring (see the attached calendar entry)
mail-room = A virtual room: join at any time.
mail-location = Location
mail-signed_up = You have signed up for
mail-personal_link = Your personal join link (it works on one device at a time; do not share it):
mail-kind-request = Invitation
mail-kind-cancel = Cancellation
mail-kind-join_link = Join link
mail-delivery = Email delivery
mail-delivery_help = Messages the mail server has not taken. Those waiting are tried again by themselves.
mail-status-pending = waiting, next try
mail-status-failed = not delivered
mail-attempts = tries
mail-pwlink-subject = Tessera: choose your password
mail-pwlink-new-account = An administrator of Tessera at { $server } has made you an account; your login is { $login }.
mail-pwlink-reset = An administrator of Tessera at { $server } has sent you a link to choose a new password for { $login }.
mail-pwlink-choose = Choose your password here (the link works once, for { $hours ->
        [one] { $hours } hour
       *[other] { $hours } hours
    }):
mail-pwlink-unexpected = If you did not expect this message, ignore it.
mail-test-subject = Tessera: a test message
mail-test-body = This message checks the email settings of the Tessera server at { $server }.
    If you read it, invitations will arrive too.
