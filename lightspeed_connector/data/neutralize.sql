-- A neutralized copy (staging, test) must never talk to the production Lightspeed account:
-- refreshing there would rotate, and so revoke, production's refresh token.
UPDATE lightspeed_oauth_token
   SET access_token = NULL,
       refresh_token = NULL,
       expires_at = NULL;
UPDATE lightspeed_backend
   SET state = 'disabled',
       client_secret = NULL,
       oauth_state = NULL,
       oauth_code_verifier = NULL;
