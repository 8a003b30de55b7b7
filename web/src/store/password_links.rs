//! Set-password links (see migration 0019): made when an administrator mails one, taken once.

use super::{Result, Store};
use sqlx::Row;

impl Store {
    /// A new link for the user; any earlier one of theirs stops working.
    pub async fn create_password_link(&self, token_hash: &str, user_id: i64, expires_at: i64) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM password_links WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO password_links (token_hash, user_id, expires_at) VALUES ($1, $2, $3)")
            .bind(token_hash)
            .bind(user_id)
            .bind(expires_at)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The user a link is for, while it works (without using it up).
    pub async fn password_link(&self, token_hash: &str, now: i64) -> Result<Option<i64>> {
        let row = sqlx::query("SELECT user_id FROM password_links WHERE token_hash = $1 AND expires_at > $2")
            .bind(token_hash)
            .bind(now)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("user_id")).transpose()?)
    }

    /// Uses a link up: the user it was for, if it still worked. Of two requests with the same
    /// link, one gets it.
    pub async fn take_password_link(&self, token_hash: &str, now: i64) -> Result<Option<i64>> {
        let Some(user) = self.password_link(token_hash, now).await? else { return Ok(None) };
        let n = sqlx::query("DELETE FROM password_links WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok((n == 1).then_some(user))
    }

    /// Forgets expired links (housekeeping).
    pub async fn purge_password_links(&self, now: i64) -> Result<u64> {
        let r = sqlx::query("DELETE FROM password_links WHERE expires_at <= $1").bind(now).execute(&self.pool).await?;
        Ok(r.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use crate::store::NewUser;

    crate::both_backends!(links_work_once_until_they_expire_and_search_escapes_wildcards, |store| {
        let new = |login: &'static str, name: &'static str| NewUser { login, password_hash: "x", display_name: name };
        let a = store.create_user(new("ann", "Ann Percent"), 0).await.unwrap();
        store.create_user(new("a_b", "Under Score"), 0).await.unwrap();
        store.create_user(new("bob", "Bob"), 0).await.unwrap();

        // A link: seen while it works, taken once; a newer one replaces it; expired ones go.
        store.create_password_link("h1", a.id, 100).await.unwrap();
        assert_eq!(store.password_link("h1", 50).await.unwrap(), Some(a.id));
        assert_eq!(store.password_link("h1", 100).await.unwrap(), None, "expired at 100");
        store.create_password_link("h2", a.id, 100).await.unwrap();
        assert_eq!(store.password_link("h1", 50).await.unwrap(), None, "replaced");
        assert_eq!(store.take_password_link("h2", 50).await.unwrap(), Some(a.id));
        assert_eq!(store.take_password_link("h2", 50).await.unwrap(), None, "used once");
        store.create_password_link("h3", a.id, 10).await.unwrap();
        assert_eq!(store.purge_password_links(20).await.unwrap(), 1);

        // Search: case-insensitive on login, name and email; % and _ are plain characters.
        let logins = |r: (Vec<crate::store::UserRow>, i64)| r.0.into_iter().map(|u| u.login).collect::<Vec<_>>();
        assert_eq!(logins(store.search_users("PERCENT", 10, 0).await.unwrap()), ["ann"]);
        assert_eq!(logins(store.search_users("_", 10, 0).await.unwrap()), ["a_b"]);
        assert!(logins(store.search_users("%", 10, 0).await.unwrap()).is_empty());
        let (page, total) = store.search_users("", 2, 2).await.unwrap();
        assert_eq!((page.len(), total), (1, 3), "the third of three, by login");
        assert_eq!(page[0].login, "bob");
    });
}
