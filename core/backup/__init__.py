"""Backup and restore of a whole data dir (see ``snapshot`` and ``restore`` for the guarantees)."""

from core.backup.manifest import (BackupDamaged, WrongPassphrase, backup_file_name, default_backup_dir, last_backup,
                                  read_record)
from core.backup.restore import read_manifest, restore_backup
from core.backup.secrets import PASSPHRASE_ENV
from core.backup.snapshot import create_backup

__all__ = ["BackupDamaged", "PASSPHRASE_ENV", "WrongPassphrase", "backup_file_name", "create_backup", "default_backup_dir",
           "last_backup", "read_manifest",
           "read_record", "restore_backup"]
