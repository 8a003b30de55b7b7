//! Accounts, their rights and avatars.

use super::{Result, Store, StoreError, flag, is_unique_violation, new_id};
use crate::rights::Right;
use sqlx::Row;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct UserRow {
    pub id: i64,
    pub login: String,
    #[serde(skip)]
    pub password_hash: String,
    pub display_name: String,
    pub email: String,
    pub phone: String,
    pub company: String,
    pub position: String,
    pub language: String,
    pub time_zone: String,
    pub disabled: bool,
    /// Must choose a new password before doing anything else (see `auth::published`).
    pub must_change_password: bool,
    /// The administrator role: the administration API and panel.
    pub is_admin: bool,
}

impl UserRow {
    /// The name people see: the display name, or the login when none is set.
    pub fn shown_name(&self) -> &str {
        if self.display_name.is_empty() { &self.login } else { &self.display_name }
    }
}

pub struct NewUser<'a> {
    pub login: &'a str,
    pub password_hash: &'a str,
    pub display_name: &'a str,
}

/// The profile fields a user may change; already validated by the caller.
#[derive(Debug, Clone)]
pub struct ProfileUpdate {
    pub display_name: String,
    pub email: String,
    pub phone: String,
    pub company: String,
    pub position: String,
    pub language: String,
    pub time_zone: String,
}

macro_rules! user_columns {
    () => {
        "id, login, password_hash, display_name, email, phone, company, position, language, time_zone, disabled, must_change_password, is_admin"
    };
}

pub(super) fn user_from_row(r: &AnyRow) -> Result<UserRow> {
    Ok(UserRow {
        id: r.try_get("id")?,
        login: r.try_get("login")?,
        password_hash: r.try_get("password_hash")?,
        display_name: r.try_get("display_name")?,
        email: r.try_get("email")?,
        phone: r.try_get("phone")?,
        company: r.try_get("company")?,
        position: r.try_get("position")?,
        language: r.try_get("language")?,
        time_zone: r.try_get("time_zone")?,
        disabled: r.try_get::<i64, _>("disabled")? != 0,
        must_change_password: r.try_get::<i64, _>("must_change_password")? != 0,
        is_admin: r.try_get::<i64, _>("is_admin")? != 0,
    })
}

impl Store {
    /// Gives or takes the administrator role.
    pub async fn set_admin(&self, user_id: i64, admin: bool) -> Result<()> {
        sqlx::query("UPDATE users SET is_admin = $1 WHERE id = $2")
            .bind(super::flag(admin))
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        self.changed().await
    }

    pub async fn create_user(&self, u: NewUser<'_>, now: i64) -> Result<UserRow> {
        let id = new_id();
        let res = sqlx::query(
            "INSERT INTO users (id, login, password_hash, display_name, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)",
        )
        .bind(id)
        .bind(u.login)
        .bind(u.password_hash)
        .bind(u.display_name)
        .bind(now)
        .execute(&self.pool)
        .await;
        match res {
            Err(e) if is_unique_violation(&e) => return Err(StoreError::Conflict("user")),
            r => r?,
        };
        self.user_by_id(id).await?.ok_or(StoreError::NotFound("user"))
    }

    pub async fn user_by_login(&self, login: &str) -> Result<Option<UserRow>> {
        let row = sqlx::query(concat!("SELECT ", user_columns!(), " FROM users WHERE login = $1"))
            .bind(login)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    pub async fn user_by_id(&self, id: i64) -> Result<Option<UserRow>> {
        let row = sqlx::query(concat!("SELECT ", user_columns!(), " FROM users WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    pub async fn list_users(&self) -> Result<Vec<UserRow>> {
        let rows = sqlx::query(concat!("SELECT ", user_columns!(), " FROM users ORDER BY login"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(user_from_row).collect()
    }

    /// One page of accounts whose login, name or email contains `q` (case-insensitive), by
    /// login, and how many match in all.
    pub async fn search_users(&self, q: &str, limit: i64, offset: i64) -> Result<(Vec<UserRow>, i64)> {
        let pattern = format!("%{}%", q.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
        macro_rules! matching {
            () => {
                " FROM users WHERE LOWER(login) LIKE $1 ESCAPE '\\' OR LOWER(display_name) LIKE $1 ESCAPE '\\' \
                 OR LOWER(email) LIKE $1 ESCAPE '\\'"
            };
        }
        let total: i64 = sqlx::query(concat!("SELECT COUNT(*) AS n", matching!()))
            .bind(&pattern)
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?;
        let rows = sqlx::query(concat!("SELECT ", user_columns!(), matching!(), " ORDER BY login LIMIT $2 OFFSET $3"))
            .bind(&pattern)
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await?;
        Ok((rows.iter().map(user_from_row).collect::<Result<_>>()?, total))
    }

    /// How many enabled accounts hold the administrator role.
    pub async fn count_active_admins(&self) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM users WHERE is_admin = 1 AND disabled = 0")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("n")?)
    }

    /// The ids of disabled accounts.
    pub async fn disabled_user_ids(&self) -> Result<Vec<i64>> {
        let rows = sqlx::query("SELECT id FROM users WHERE disabled = 1").fetch_all(&self.pool).await?;
        rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
    }

    pub async fn count_users(&self) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM users").fetch_one(&self.pool).await?;
        Ok(row.try_get("n")?)
    }

    /// Sets a new password hash (which lifts a required change) and ends every session of the
    /// user.
    pub async fn set_password_hash(&self, user_id: i64, hash: &str, now: i64) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let n =
            sqlx::query("UPDATE users SET password_hash = $1, must_change_password = 0, updated_at = $2 WHERE id = $3")
                .bind(hash)
                .bind(now)
                .bind(user_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound("user"));
        }
        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
        tx.commit().await?;
        self.changed().await?;
        Ok(())
    }

    /// Requires the user to choose a new password before anything else and ends their sessions.
    pub async fn require_password_change(&self, user_id: i64) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE users SET must_change_password = 1 WHERE id = $1").bind(user_id).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
        tx.commit().await?;
        self.changed().await?;
        Ok(())
    }

    /// Disables or enables an account; disabling ends its sessions.
    pub async fn set_disabled(&self, user_id: i64, disabled: bool, now: i64) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let n = sqlx::query("UPDATE users SET disabled = $1, updated_at = $2 WHERE id = $3")
            .bind(flag(disabled))
            .bind(now)
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound("user"));
        }
        if disabled {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        self.changed().await?;
        Ok(())
    }

    pub async fn update_profile(&self, user_id: i64, p: &ProfileUpdate, now: i64) -> Result<()> {
        let n = sqlx::query(
            "UPDATE users SET display_name = $1, email = $2, phone = $3, company = $4, position = $5, language = $6, time_zone = $7, updated_at = $8 WHERE id = $9",
        )
        .bind(&p.display_name)
        .bind(&p.email)
        .bind(&p.phone)
        .bind(&p.company)
        .bind(&p.position)
        .bind(&p.language)
        .bind(&p.time_zone)
        .bind(now)
        .bind(user_id)
        .execute(&self.pool)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound("user"));
        }
        self.changed().await
    }

    pub async fn rights_of(&self, user_id: i64) -> Result<Vec<Right>> {
        let rows = sqlx::query("SELECT right_name FROM user_rights WHERE user_id = $1")
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?;
        let mut rights = Vec::with_capacity(rows.len());
        for r in rows {
            let name: String = r.try_get("right_name")?;
            match name.parse::<Right>() {
                Ok(right) => rights.push(right),
                Err(_) => return Err(StoreError::Corrupt(format!("unknown right {name:?}"))),
            }
        }
        rights.sort();
        Ok(rights)
    }

    pub async fn grant_rights(&self, user_id: i64, rights: &[Right]) -> Result<()> {
        self.change_rights(
            "INSERT INTO user_rights (user_id, right_name) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            user_id,
            rights,
        )
        .await
    }

    pub async fn revoke_rights(&self, user_id: i64, rights: &[Right]) -> Result<()> {
        self.change_rights("DELETE FROM user_rights WHERE user_id = $1 AND right_name = $2", user_id, rights).await
    }

    /// Runs `sql` (bound to the user and one right) for each right, in one transaction.
    async fn change_rights(&self, sql: &'static str, user_id: i64, rights: &[Right]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for r in rights {
            sqlx::query(sql).bind(user_id).bind(r.as_str()).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        self.changed().await
    }

    pub async fn set_avatar(&self, user_id: i64, content_type: &str, data: &[u8], now: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO avatars (user_id, content_type, data, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (user_id) DO UPDATE SET content_type = excluded.content_type, data = excluded.data, updated_at = excluded.updated_at",
        )
        .bind(user_id)
        .bind(content_type)
        .bind(data)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The avatar's content type, bytes and change time.
    pub async fn avatar(&self, user_id: i64) -> Result<Option<(String, Vec<u8>, i64)>> {
        let row = sqlx::query("SELECT content_type, data, updated_at FROM avatars WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            None => Ok(None),
            Some(r) => Ok(Some((r.try_get("content_type")?, r.try_get("data")?, r.try_get("updated_at")?))),
        }
    }

    pub async fn delete_avatar(&self, user_id: i64) -> Result<()> {
        sqlx::query("DELETE FROM avatars WHERE user_id = $1").bind(user_id).execute(&self.pool).await?;
        Ok(())
    }
}
