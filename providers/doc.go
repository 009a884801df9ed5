// Package providers is the home of ginoauth's pre-configured providers, the
// equivalent of Flask-Dance's contrib modules. It holds no code: each
// provider is its own package under providers/, so an application compiles
// only the providers it imports.
//
// Every provider package has the same shape and holds only what is its
// provider's own: endpoints, options, the profile request. A provider with
// options of its own has a Config that embeds ginoauth.Config:
//
//	type Config struct {
//		ginoauth.Config // credentials, scopes, storage, hooks, ...
//		...             // the provider's own options, each "Optional. Default ..."
//	}
//	func Provider(cfg Config) ginoauth.Provider       // the description, for ginoauth.New
//	func New(cfg Config) (*ginoauth.Blueprint, error) // make_<name>_blueprint
//
// A provider without options of its own (bitbucket, digitalocean, fitbit,
// linkedin, meetup, osm, spotify, strava, twitch, twitter) takes
// ginoauth.Config itself: Provider(ginoauth.Config) and
// New(ginoauth.Config).
//
// New fills an empty ClientID and ClientSecret from the environment
// variables {NAME}_OAUTH_CLIENT_ID and {NAME}_OAUTH_CLIENT_SECRET
// (Flask-Dance's configuration keys), then builds the blueprint. The
// blueprint's name, route segment and storage key is the package name
// unless Config.Name says otherwise. New never does network I/O; the
// OpenID Connect presets fetch the provider's signing keys on the first
// login and cache them. Every provider has a Profile function that returns
// a normalized [ginoauth.Profile].
//
// # OpenID Connect
//
// These verify the ID token of every login (signature, issuer, audience,
// expiry and a per-login nonce) before the token is stored:
//
//	oidc        oidc.New(ctx, oidc.Config{Issuer: ...}) OIDC_OAUTH_CLIENT_ID / _SECRET
//	            any OpenID provider, by discovery; oidc.FromMetadata without network
//	google      google.New(google.Config{...})          GOOGLE_OAUTH_CLIENT_ID / _SECRET
//	            Offline, RepromptConsent, RepromptSelectAccount, HostedDomain (hd claim checked)
//	azure       azure.New(azure.Config{...})            AZURE_OAUTH_CLIENT_ID / _SECRET
//	            Microsoft Entra ID: Tenant (default "common"), Prompt, LoginHint, DomainHint, AllowedTenantIDs
//	microsoft   microsoft.New(microsoft.Config{...})    MICROSOFT_OAUTH_CLIENT_ID / _SECRET
//	            personal Microsoft accounts (the consumers tenant)
//	linkedin    linkedin.New(ginoauth.Config{...})      LINKEDIN_OAUTH_CLIENT_ID / _SECRET
//	apple       apple.New(apple.Config{...})            APPLE_OAUTH_CLIENT_ID (the Services ID)
//	            TeamID, KeyID, PrivateKey or PrivateKeyFile: the client secret is a signed JWT
//	okta        okta.New(okta.Config{Domain: ...})      OKTA_OAUTH_CLIENT_ID / _SECRET
//	            AuthorizationServerID (default "default")
//	auth0       auth0.New(auth0.Config{Domain: ...})    AUTH0_OAUTH_CLIENT_ID / _SECRET
//	            Audience
//	keycloak    keycloak.New(keycloak.Config{BaseURL: ..., Realm: ...})
//	                                                    KEYCLOAK_OAUTH_CLIENT_ID / _SECRET
//	authentiq   authentiq.New(authentiq.Config{...})    AUTHENTIQ_OAUTH_CLIENT_ID / _SECRET
//	            Hostname (default "connect.authentiq.io")
//
// # OAuth 2
//
//	atlassian     atlassian.New(atlassian.Config{...})   ATLASSIAN_OAUTH_CLIENT_ID / _SECRET
//	              always audience=api.atlassian.com; RepromptConsent
//	bitbucket     bitbucket.New(ginoauth.Config{...})    BITBUCKET_OAUTH_CLIENT_ID / _SECRET
//	dexcom        dexcom.New(dexcom.Config{...})         DEXCOM_OAUTH_CLIENT_ID / _SECRET
//	              Sandbox (moves every URL), Hostname
//	digitalocean  digitalocean.New(ginoauth.Config{...}) DIGITALOCEAN_OAUTH_CLIENT_ID / _SECRET
//	discord       discord.New(discord.Config{...})       DISCORD_OAUTH_CLIENT_ID / _SECRET
//	dropbox       dropbox.New(dropbox.Config{...})       DROPBOX_OAUTH_CLIENT_ID / _SECRET
//	facebook      facebook.New(facebook.Config{...})     FACEBOOK_OAUTH_CLIENT_ID / _SECRET
//	fitbit        fitbit.New(ginoauth.Config{...})       FITBIT_OAUTH_CLIENT_ID / _SECRET
//	github        github.New(github.Config{...})         GITHUB_OAUTH_CLIENT_ID / _SECRET
//	gitlab        gitlab.New(gitlab.Config{...})         GITLAB_OAUTH_CLIENT_ID / _SECRET
//	              Hostname (self-managed), InsecureSkipVerify (test instances only)
//	heroku        heroku.New(heroku.Config{...})         HEROKU_OAUTH_CLIENT_ID / _SECRET
//	meetup        meetup.New(ginoauth.Config{...})       MEETUP_OAUTH_CLIENT_ID / _SECRET
//	nylas         nylas.New(nylas.Config{...})           NYLAS_OAUTH_CLIENT_ID / _SECRET
//	orcid         orcid.New(orcid.Config{...})           ORCID_OAUTH_CLIENT_ID / _SECRET
//	osm           osm.New(ginoauth.Config{...})          OSM_OAUTH_CLIENT_ID / _SECRET
//	reddit        reddit.New(reddit.Config{...})         REDDIT_OAUTH_CLIENT_ID / _SECRET
//	salesforce    salesforce.New(salesforce.Config{...}) SALESFORCE_OAUTH_CLIENT_ID / _SECRET
//	              Hostname, Sandbox (test.salesforce.com), RepromptConsent
//	slack         slack.New(slack.Config{...})           SLACK_OAUTH_CLIENT_ID / _SECRET
//	spotify       spotify.New(ginoauth.Config{...})      SPOTIFY_OAUTH_CLIENT_ID / _SECRET
//	strava        strava.New(ginoauth.Config{...})       STRAVA_OAUTH_CLIENT_ID / _SECRET
//	twitch        twitch.New(ginoauth.Config{...})       TWITCH_OAUTH_CLIENT_ID / _SECRET
//	twitter       twitter.New(ginoauth.Config{...})      TWITTER_OAUTH_CLIENT_ID / _SECRET
//	              X (formerly Twitter), OAuth 2 with PKCE; twitter.NewOAuth1 for OAuth 1.0a
//	              (TWITTER_OAUTH_CLIENT_KEY / _SECRET)
//	zoho          zoho.New(zoho.Config{...})             ZOHO_OAUTH_CLIENT_ID / _SECRET
//	              Offline, RepromptConsent, AccountsDomain (data center); Zoho-oauthtoken header
//
// # OAuth 1.0a
//
//	jira          jira.New(jira.Config{BaseURL: ..., RSAKey: ...})
//	                                                         JIRA_OAUTH_CONSUMER_KEY, JIRA_OAUTH_RSA_KEY
//	              Jira Server and Data Center, RSA-SHA1 signatures
//
// A provider that is not listed is one [ginoauth.Provider] literal away, or
// one oidc.New call if it speaks OpenID Connect.
package providers
