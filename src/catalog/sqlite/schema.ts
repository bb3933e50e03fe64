/**
 * operator-registry schema 13, statement for statement as opm leaves it after migrations 0..13.
 * The text is kept byte for byte (tabs and trailing spaces included) because sqlite stores it in
 * sqlite_master and tools compare schemas by it; test/sqlite-schema.test checks it against
 * `sqlite3 DB .schema` of the reference. api_provider/api_requirer were renamed by migration 6,
 * which is why sqlite stores their names quoted.
 */
export const SCHEMA_VERSION = 13;

export const SCHEMA_13: readonly string[] = [
  "CREATE TABLE schema_migrations (\n\t\tversion bigint NOT NULL,\n        timestamp DATETIME DEFAULT CURRENT_TIMESTAMP\n\t)",
  "CREATE TABLE api (\n\t\t\tgroup_name TEXT,\n\t\t\tversion TEXT,\n\t\t\tkind TEXT,\n\t\t\tplural TEXT NOT NULL,\n\t\t\tPRIMARY KEY(group_name, version, kind)\n\t\t)",
  "CREATE TABLE operatorbundle (\n\t\t\tname TEXT PRIMARY KEY,\n\t\t\tcsv TEXT,\n\t\t\tbundle TEXT,\n\t\t\tbundlepath TEXT, skiprange TEXT, version TEXT, replaces TEXT, skips TEXT, substitutesfor TEXT)",
  "CREATE TABLE package (\n\t\t\tname TEXT PRIMARY KEY,\n\t\t\tdefault_channel TEXT,\n\t\t\tFOREIGN KEY(name, default_channel) REFERENCES channel(package_name,name) ON DELETE CASCADE\n\t\t)",
  "CREATE TABLE channel (\n\t\t\tname TEXT,\n\t\t\tpackage_name TEXT,\n\t\t\thead_operatorbundle_name TEXT,\n\t\t\tPRIMARY KEY(name, package_name),\n\t\t\tFOREIGN KEY(head_operatorbundle_name) REFERENCES operatorbundle(name) ON DELETE CASCADE\n\t\t)",
  "CREATE TABLE channel_entry (\n\t\t\tentry_id INTEGER PRIMARY KEY,\n\t\t\tchannel_name TEXT,\n\t\t\tpackage_name TEXT,\n\t\t\toperatorbundle_name TEXT,\n\t\t\treplaces INTEGER,\n\t\t\tdepth INTEGER,\n\t\t\tFOREIGN KEY(replaces) REFERENCES channel_entry(entry_id) DEFERRABLE INITIALLY DEFERRED, \n\t\t\tFOREIGN KEY(channel_name, package_name) REFERENCES channel(name, package_name) ON DELETE CASCADE\n\t\t)",
  "CREATE TABLE related_image (\n\t\t\timage TEXT,\n     \t\toperatorbundle_name TEXT,\n     \t\tFOREIGN KEY(operatorbundle_name) REFERENCES operatorbundle(name) ON DELETE CASCADE\n\t\t)",
  "CREATE TABLE \"api_provider\" (\n\t\t\tgroup_name TEXT,\n\t\t\tversion TEXT,\n\t\t\tkind TEXT,\n\t\t\toperatorbundle_name TEXT,\n\t\t\toperatorbundle_version TEXT,\n\t\t\toperatorbundle_path TEXT,\n\t\t\tFOREIGN KEY(operatorbundle_name, operatorbundle_version, operatorbundle_path) REFERENCES operatorbundle(name, version, bundlepath) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,\n\t\t\tFOREIGN KEY(group_name, version, kind) REFERENCES api(group_name, version, kind) ON DELETE CASCADE\n\t\t)",
  "CREATE TABLE \"api_requirer\" (\n\t\t\tgroup_name TEXT,\n\t\t\tversion TEXT,\n\t\t\tkind TEXT,\n\t\t\toperatorbundle_name TEXT,\n\t\t\toperatorbundle_version TEXT,\n\t\t\toperatorbundle_path TEXT,\n\t\t\tFOREIGN KEY(operatorbundle_name, operatorbundle_version, operatorbundle_path) REFERENCES operatorbundle(name, version, bundlepath) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,\n\t\t\tFOREIGN KEY(group_name, version, kind) REFERENCES api(group_name, version, kind) ON DELETE CASCADE\n\t\t)",
  "CREATE UNIQUE INDEX pk ON operatorbundle(name, version, bundlepath)",
  "CREATE TRIGGER api_provider_cleanup\n\t\tAFTER DELETE ON api_provider\n\t\tWHEN NOT EXISTS (SELECT 1 FROM api_provider JOIN api_requirer WHERE \n\t\t    (api_provider.group_name = OLD.group_name AND api_provider.version = OLD.version AND api_provider.kind = OLD.kind) OR \n\t\t\t(api_requirer.group_name = OLD.group_name AND api_requirer.version = OLD.version AND api_requirer.kind = OLD.kind))\n\t\tBEGIN\n\t\t\tDELETE FROM api WHERE group_name = OLD.group_name AND version = OLD.version AND kind = OLD.kind;\n\t\tEND",
  "CREATE TRIGGER api_requirer_cleanup\n\t\tAFTER DELETE ON api_requirer\n\t\tWHEN NOT EXISTS (SELECT 1 FROM api_provider JOIN api_requirer WHERE \n\t\t    (api_provider.group_name = OLD.group_name AND api_provider.version = OLD.version AND api_provider.kind = OLD.kind) OR \n\t\t\t(api_requirer.group_name = OLD.group_name AND api_requirer.version = OLD.version AND api_requirer.kind = OLD.kind))\t\n\t\tBEGIN\n\t\t\tDELETE FROM api WHERE group_name = OLD.group_name AND version = OLD.version AND kind = OLD.kind;\n\t\tEND",
  "CREATE TABLE dependencies (\n\t\t\ttype TEXT,\n\t\t\tvalue TEXT,\n\t\t\toperatorbundle_name TEXT,\n\t\t\toperatorbundle_version TEXT,\n\t\t\toperatorbundle_path TEXT,\n\t\t\tFOREIGN KEY(operatorbundle_name, operatorbundle_version, operatorbundle_path) REFERENCES operatorbundle(name, version, bundlepath) ON DELETE CASCADE\n\t\t)",
  "CREATE TABLE properties (\n\t\t\ttype TEXT,\n\t\t\tvalue TEXT,\n\t\t\toperatorbundle_name TEXT,\n\t\t\toperatorbundle_version TEXT,\n\t\t\toperatorbundle_path TEXT,\n\t\t\tFOREIGN KEY(operatorbundle_name, operatorbundle_version, operatorbundle_path) REFERENCES operatorbundle(name, version, bundlepath) ON DELETE CASCADE\n\t\t)",
  "CREATE TABLE deprecated (\n\t\t\toperatorbundle_name TEXT PRIMARY KEY\n\t\t)",
];
