/*
 * bq.h: the parts of bq-upload and how they talk to each other.
 *
 *   main.c   options, the batch set, the steps in order
 *   auth.c   service-account key, signed JWT, access token in memory
 *   http.c   one libcurl handle, URL policy, retries with backoff
 *   job.c    BigQuery calls: datasets, tables, load/copy jobs, polling
 *   state.c  DIR/upload/: what was sent, so a rerun never loads twice
 */
#ifndef BQ_UPLOAD_H
#define BQ_UPLOAD_H

#include <stddef.h>

#include <jansson.h>

#define JOBID_MAX	1024		/* BigQuery's limit on a job id */

/* main.c */
extern const char	*bq_table;	/* for messages and log lines */
void	fatal(int, const char *, ...)
	    __attribute__((noreturn, format(printf, 2, 3)));
void	progress_clear(void);

/* http.c */
struct http_part {			/* a piece of a request body */
	const char	*mem;		/* from memory, */
	int		 fd;		/* or from this file */
	long long	 off;		/* at this offset */
	size_t		 len;
};

struct http_req {
	const char	*method;	/* GET, POST, PUT, DELETE */
	const char	*url;
	const char	*ctype;		/* Content-Type, or NULL */
	const char	*extra;		/* one more header, or NULL */
	const void	*body;
	size_t		 len;
	const struct http_part *parts;	/* instead of body, streamed */
	size_t		 nparts;
	int		 auth;		/* send the access token */
	const char	*what;		/* names the call in messages */
};

struct http_resp {
	long		 status;	/* 0: no response (see err) */
	char		*body;
	size_t		 len, cap;
	char		*location;	/* Location header */
	long long	 range_last;	/* Range: bytes=0-N, or -1 */
	char		 err[256];	/* transport error */
	char		 reason[64];	/* error.errors[0].reason */
	char		 message[512];	/* error.message */
};

struct backoff {
	int		 tries;
	double		 start;
};

void	 http_init(void);
void	 http_end(void);
int	 url_check(const char *, char *, size_t);
int	 http_once(const struct http_req *, struct http_resp *);
void	 http_call(const struct http_req *, struct http_resp *);
int	 resp_retryable(const struct http_resp *);
const char *resp_error(const struct http_resp *, char *, size_t);
void	 resp_fail(const struct http_resp *, const char *)
	    __attribute__((noreturn));
json_t	*resp_json(const struct http_resp *);
void	 resp_free(struct http_resp *);
void	 backoff_start(struct backoff *);
int	 backoff_wait(struct backoff *, const char *,
	    const struct http_resp *);
long	 env_long(const char *, long, long, long);
double	 now_mono(void);
void	 sleep_ms(long);

/* auth.c */
void	 auth_guard(void);
char	*auth_init(const char *);
const char *auth_token(void);
void	 auth_invalidate(void);
void	 auth_wipe(void);

/* job.c */
struct bq {
	const char	*api;		/* api_url, no trailing slash */
	const char	*project;
	char		*project_esc;	/* URL-escaped for paths */
	const char	*dataset;
	const char	*location;
	const char	*table;
	char		*staging;	/* TABLE__staging */
	json_t		*fields;	/* schema.fields */
};

#define JOB_GONE	((json_t *)-1)	/* 409 for an id no job holds */

void	 dataset_ensure(const struct bq *);
long long table_rows(const struct bq *, const char *);
void	 table_delete(const struct bq *, const char *);
void	 table_create(const struct bq *, const char *);
json_t	*load_meta(const struct bq *, const char *, int);
json_t	*copy_meta(const struct bq *, const char *);
json_t	*job_insert(const struct bq *, json_t *);
json_t	*job_get(const struct bq *, const char *);
json_t	*job_wait(const struct bq *, const char *, json_t *, double);
/* job_outcome: 0 succeeded, 1 may succeed as a new job, else exit code */
int	 job_outcome(json_t *, const char *);
long long job_rows(json_t *);

struct jobstate;
json_t	*load_send(const struct bq *, json_t *, const char *, long long,
	    struct jobstate *, const char *, const char *);

/* state.c */
struct jobstate {
	int		 exists;
	int		 done;
	int		 attempt;
	char		 job[JOBID_MAX + 1];
	char		 sha256[65];
	char		*session;	/* resumable upload session URI */
	long long	 rows;
};

void	 state_load(const char *, const char *, struct jobstate *);
void	 state_save(const char *, const char *, const struct jobstate *);
void	 state_free(struct jobstate *);
void	 updir_prepare(const char *);
int	 run_id_ok(const char *);
char	*run_id(const char *, const char *);
int	 published_exists(const char *);
void	 published_write(const char *, const char *, long long);

#endif
