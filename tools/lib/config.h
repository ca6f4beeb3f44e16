/*
 * config.h: config.json (pohoda-sync.json(5)), read and checked once.
 */
#ifndef POHODA_CONFIG_H
#define POHODA_CONFIG_H

enum log_level { LOG_ERROR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

struct config {
	char	*path;			/* as given */
	char	*dir;			/* base of relative paths */

	int	 has_mssql;
	struct {
		char	*host;
		int	 port;
		char	*user;
		char	*password;	/* secret: wiped by config_free */
		char	*database;
		char	*tds_version;
		char	*encryption;	/* off, request, require */
		int	 login_timeout;
		int	 query_timeout;
	} mssql;
	char	*companies_query;

	int	 has_bigquery;
	struct {
		char	*credentials;	/* resolved key file path */
		char	*project;	/* "" means the key's project_id */
		char	*dataset;
		char	*location;
		char	*api_url;
	} bq;

	long	 batch_size;
	char	*sql_dir;		/* resolved */
	char	*spool_dir;		/* resolved */
	int	 resume_hours;
	int	 keep_days;

	struct {
		char		*file;	/* NULL: no log */
		enum log_level	 level;
		long long	 max_bytes;
		int		 backups;
	} log;

	struct {
		char	*dsn;		/* holds a secret */
		char	*environment;
	} sentry;
};

/*
 * config_load: read and check PATH.  On failure it prints
 * "PATH: key.path: what is wrong" on stderr and returns EX_CONFIG (for
 * a missing or unreadable file too), with nothing left allocated; 0 on
 * success.
 */
int	config_load(const char *, struct config *);
/* config_path: GIVEN (-c), else $POHODA_SYNC_CONFIG when set and not
 * empty, else "config.json" */
const char *config_path(const char *);
void	config_defaults(struct config *);
void	config_free(struct config *);
const char *log_level_name(enum log_level);

#endif
