-- The server-wide database.

CREATE TABLE key_value (
  key VARCHAR PRIMARY KEY,
  value JSON
);

CREATE TABLE health_metrics (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  timestamp INTEGER NOT NULL,
  cpuUsage REAL NOT NULL,
  memoryUsed INTEGER NOT NULL,
  memoryTotal INTEGER NOT NULL,
  memoryUsage REAL NOT NULL,
  diskUsed INTEGER,
  diskTotal INTEGER,
  diskUsage REAL,
  processCount INTEGER,
  uptime INTEGER NOT NULL
);
CREATE INDEX health_metrics_timestamp ON health_metrics (timestamp);
