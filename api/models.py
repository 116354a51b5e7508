# The api app holds no models: ApiKey lives in auth_methods (moved in state only, see
# api/migrations/0002_apikey_moved_to_auth_methods.py); the app keeps its migration history.
