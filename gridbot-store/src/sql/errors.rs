//! sqlx errors → [`StoreError`], with messages a user can act on.

use gridbot_core::StoreError;
use sqlx::error::ErrorKind;

/// Maps a database error. Unique violations become
/// [`StoreError::Conflict`], foreign-key violations
/// [`StoreError::NotFound`]; call sites that know which key was hit map
/// those themselves first ([`is_unique_violation`], [`is_fk_violation`]).
pub(crate) fn db_err(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(d) => match d.kind() {
            ErrorKind::UniqueViolation => StoreError::Conflict(d.message().to_owned()),
            ErrorKind::ForeignKeyViolation => StoreError::NotFound(format!("a referenced record ({})", d.message())),
            _ => StoreError::Database(d.message().to_owned()),
        },
        sqlx::Error::PoolTimedOut => StoreError::Database(
            "no database connection became free in time: the database is overloaded; retry later".into(),
        ),
        sqlx::Error::RowNotFound => StoreError::NotFound("row".into()),
        sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) | sqlx::Error::ColumnNotFound(_) => {
            StoreError::Corrupt(e.to_string())
        }
        _ => StoreError::Database(e.to_string()),
    }
}

/// True when `e` is a unique-key violation.
pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.kind() == ErrorKind::UniqueViolation)
}

/// True when `e` is a foreign-key violation.
pub(crate) fn is_fk_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.kind() == ErrorKind::ForeignKeyViolation)
}
