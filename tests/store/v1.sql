-- A version 1 cache (before the outbox): test-store-outbox.c migrates it.
PRAGMA user_version = 1;
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE sync_token (  id INTEGER PRIMARY KEY CHECK (id = 1),  next_batch TEXT NOT NULL);
INSERT INTO sync_token VALUES(1,'s42_v1');
CREATE TABLE account_data (  type TEXT PRIMARY KEY,  content TEXT NOT NULL) WITHOUT ROWID;
INSERT INTO account_data VALUES('m.direct','{"@bob:localhost":["!dm:localhost"]}');
CREATE TABLE rooms (  room_id TEXT PRIMARY KEY,  membership TEXT NOT NULL CHECK (membership IN ('join', 'invite', 'leave')),  timeline_limited INTEGER NOT NULL DEFAULT 0,  prev_batch TEXT,  unread_notifications TEXT,  summary TEXT) WITHOUT ROWID;
INSERT INTO rooms VALUES('!dm:localhost','join',0,NULL,NULL,NULL);
CREATE TABLE room_state (  room_id TEXT NOT NULL,  type TEXT NOT NULL,  state_key TEXT NOT NULL,  event TEXT NOT NULL,  PRIMARY KEY (room_id, type, state_key)) WITHOUT ROWID;
INSERT INTO room_state VALUES('!dm:localhost','m.room.create','','{"type":"m.room.create","state_key":"","sender":"@alice:localhost","event_id":"$create","origin_server_ts":1,"content":{"creator":"@alice:localhost"}}');
CREATE TABLE timeline (  seq INTEGER PRIMARY KEY,  room_id TEXT NOT NULL,  event_id TEXT,  chunk_start INTEGER NOT NULL,  prev_batch TEXT,  event TEXT NOT NULL);
INSERT INTO timeline VALUES(1,'!dm:localhost','$hello',1,'p0','{"type":"m.room.message","sender":"@bob:localhost","event_id":"$hello","origin_server_ts":2,"content":{"msgtype":"m.text","body":"hello from v1"}}');
CREATE TABLE room_account_data (  room_id TEXT NOT NULL,  type TEXT NOT NULL,  content TEXT NOT NULL,  PRIMARY KEY (room_id, type)) WITHOUT ROWID;
CREATE INDEX timeline_by_room ON timeline (room_id, seq);
CREATE UNIQUE INDEX timeline_by_event ON timeline (room_id, event_id);
COMMIT;
