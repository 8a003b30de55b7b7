-- A database as Tessera v0.1.0 left it: written to its schema (migrations 0001-0019), with a
-- row in every table a user would miss. tests/tests/upgrade.rs replaces {root_hash},
-- {alice_hash} and {bob_hash} with argon2id hashes of root-password, alice-password and
-- bob-password. Times: 2026-12-01T00:00Z = 1796083200 s.

INSERT INTO users (id, login, password_hash, display_name, email, phone, company, position,
                   language, time_zone, created_at, updated_at, is_admin)
VALUES (1001, 'root', '{root_hash}', 'Root', 'root@example.org', '', '', '', 'en', 'UTC',
        1796083200, 1796083200, 1),
       (1002, 'alice', '{alice_hash}', 'Alice Liddell', 'alice@example.org', '+44 20 7946 0000',
        'Wonderland Ltd', 'Curious', 'ru', 'Europe/Moscow', 1796083200, 1796083200, 0),
       (1003, 'bob', '{bob_hash}', 'Bob Builder', 'bob@example.org', '', '', '', 'en', 'UTC',
        1796083200, 1796083200, 0);

INSERT INTO user_rights (user_id, right_name)
VALUES (1002, 'create_conferences'), (1002, 'recording'), (1003, 'operator');

INSERT INTO licenses (user_id, kind, expires_at, granted_at)
VALUES (1002, 'permanent', NULL, 1796083200),
       (1003, 'temporary', 4102444800, 1796083200);

INSERT INTO settings (key, value) VALUES ('lockout.max_attempts', '7');

INSERT INTO conferences (id, name, owner_id, kind, access, mode, active_speakers, starts_at,
                         duration_minutes, time_zone, pin, description, location, created_at,
                         updated_at)
VALUES ('alice-room', 'Alice''s room', 1002, 'room', 'private', 'all_on_screen', 1, NULL, NULL,
        'UTC', NULL, 'Always open', '', 1796083200, 1796083200),
       ('board-meeting', 'Board meeting', 1002, 'scheduled', 'private', 'role_based', 2,
        1811894400, 90, 'Europe/Moscow', '4321', 'Quarterly figures', 'Room 101',
        1796083200, 1796083200);

INSERT INTO conference_participants (conference_id, user_id, role, speaker, added_at)
VALUES ('alice-room', 1002, 'owner', 0, 1796083200),
       ('board-meeting', 1002, 'owner', 0, 1796083200),
       ('board-meeting', 1003, 'moderator', 1, 1796083200);

INSERT INTO conference_addresses (conference_id, address, role, speaker)
VALUES ('board-meeting', 'sip:boardroom@pbx.example.org', 'participant', 0);

INSERT INTO address_book (id, owner_id, contact_user_id, address, name, created_at)
VALUES (2001, 1002, 1003, NULL, '', 1796083200),
       (2002, 1002, NULL, 'sip:lobby@pbx.example.org', 'Lobby phone', 1796083200);

INSERT INTO chat_messages (id, conference_id, at_ms, user_id, sender_name, body, file_id)
VALUES (3001, 'alice-room', 1796083260000, 1002, 'Alice Liddell', 'Down the rabbit hole', NULL);

INSERT INTO conference_events (id, conference_id, at_ms, kind, participant, name, detail, user_id)
VALUES (4001, 'alice-room', 1796083200000, 'started', NULL, '', '', NULL),
       (4002, 'alice-room', 1796083230000, 'joined', 1, 'Alice Liddell', 'browser', 1002),
       (4003, 'alice-room', 1796083300000, 'left', 1, 'Alice Liddell', '', 1002),
       (4004, 'alice-room', 1796083310000, 'ended', NULL, '', '', NULL);

INSERT INTO user_calls (id, caller_id, callee_id, callee_address, conference_id, started_at,
                        answered_at, ended_at, result, detail)
VALUES (5001, 1002, 1003, '', NULL, 1796083400000, 1796083405000, 1796083500000, 'answered', '');

INSERT INTO audit_log (id, at_ms, actor, source, action, outcome)
VALUES (6001, 1796083200000, 'root', 'cli', 'Create user alice', 'ok');
