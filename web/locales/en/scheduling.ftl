# Tessera: the scheduling strings (English). Message ids are the keys of
# `tr()` with dots written as dashes (`cpage.owner` is `cpage-owner`).

sched-access = Conference type
sched-access-private = Private
sched-access-public = Public (webinar)
sched-step-private_help = Only the participants you invite, and users you allow, can join.
sched-step-public_help = Anyone with the link can join as a guest, or sign up when registration is on.
sched-step-continue = Continue
sched-layout-window = Window
sched-layout-fullscreen = Full screen
sched-layout-fullscreen_exit = Exit full screen
sched-step-templates = Or start from a template
sched-active_speakers = Number of active speakers
sched-add = Add
sched-add_address = Add a SIP/H.323 address
sched-add_user = Add a user
sched-all_meetings = All meetings
sched-calendar = Calendar
sched-cameras_off = Turn participants' cameras off when they join
sched-cancel = Cancel
sched-create_from_template = Create conference
sched-create_template = Create a template
sched-delete = Delete
sched-delete_confirm = Delete it: a running conference is ended and its participants disconnected
sched-deleted = The conference was deleted.
sched-deleted_running = The conference was running: it was ended and deleted.
sched-description = Description
sched-edit = Edit
sched-edit_running = Changes apply the next time the conference starts; a running conference keeps its current settings until it ends.
sched-edit_template = Edit template
sched-email_invitations = Send email invitations to participants
sched-end = End
sched-export = Add to calendar
sched-guest_permissions = Guests may use
sched-id = Conference ID
sched-id-generated = generated when saved
sched-invited = Invited
sched-is_running = This conference is running now.
sched-join_without_invitation = Users of the server may join without an invitation
sched-kind = Schedule
sched-kind-room = Virtual room
sched-kind-scheduled = Scheduled meeting
sched-layout-content_slot = + Content slot
sched-layout-custom = Set this layout
sched-layout-scope = Layout for
sched-multicast = Send the conference to a multicast group
sched-multicast-group = Multicast group
sched-multicast-port = Port (video; audio on port + 2)
sched-layout-scope-all = All participants
sched-layout-fill = Windows
sched-layout-fill-assign = Assign participants to windows
sched-layout-fill-auto = Fill automatically
sched-layout-lecture = Layouts are not available in video lecture mode.
sched-layout-locked = Do not allow users to change the layout
sched-layout-names = Names
sched-layout-names-bottom = At the bottom
sched-layout-names-hidden = Hidden
sched-layout-names-top = At the top
sched-layout-type = Layout type
sched-layout-windows = Number of windows
sched-location = Location
sched-meetings = Meetings
sched-encrypted_media = Encrypted media only
sched-encrypted_media-hint = SIP phones must call over TLS with SRTP; H.323 calls, which Tessera cannot encrypt, are refused. Browsers always encrypt.
sched-microphones_off = Turn participants' microphones off when they join
sched-mode = Mode
sched-mode-all_on_screen = All on screen
sched-mode-role_based = Role-based
sched-mode-video_lecture = Video lecture
sched-name = Name
sched-new_conference = New conference
sched-new_room = New room
sched-no_meetings = No scheduled conferences.
sched-no_templates = No templates yet.
sched-open_page = Conference page
sched-perm-camera = camera
sched-perm-chat = chat
sched-perm-microphone = microphone
sched-pick = Select a conference to see its card.
sched-pin_enabled = PIN to join
sched-record = Record the conference
sched-recording_hint = The video recording of this conference will be saved on the server.
sched-recurrence = Repeat
sched-recurrence-after = after
sched-recurrence-daily = Daily
sched-recurrence-ends = Ends
sched-recurrence-every = every
sched-recurrence-monthly = Monthly
sched-recurrence-none = Does not repeat
sched-recurrence-occurrences = occurrences
sched-recurrence-until = until
sched-recurrence-weekly = Weekly
sched-recurring = recurring
sched-role = Role
sched-save = Save
sched-save_as_template = Save as template
sched-saved = Saved.
sched-search_users = login or name
sched-speaker = Speaker
sched-start = Start
sched-tab-additional = Additional
sched-tab-general = General
sched-tab-layout = Layout
sched-tab-participants = Participants
sched-template_name = template name
sched-templates = Templates
sched-url = URL
sched-when = When
sched-from_contacts = From the address book
sched-layout-slot-auto = filled automatically
sched-layout-slot-empty = kept empty
sched-unit-days = day(s)
sched-unit-weeks = week(s)
sched-unit-months = month(s)

## Recurrence, with plural forms.
sched-every-days = { $n ->
    [one] every day
   *[other] every { $n } days
}
sched-every-weeks = { $n ->
    [one] every week
   *[other] every { $n } weeks
}
sched-every-months = { $n ->
    [one] every month
   *[other] every { $n } months
}
sched-occurrences-n = { $n ->
    [one] { $n } occurrence
   *[other] { $n } occurrences
}
sched-until-date = until { $date }
