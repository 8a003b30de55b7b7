-- A call from the personal area runs in a room of its own, made for the call and removed when it
-- ends; such rooms stay out of the lists (Meetings, Virtual rooms, the calendar, the main page).
ALTER TABLE conferences ADD COLUMN is_call BIGINT NOT NULL DEFAULT 0;
