"""The tune stage: Optuna hyperparameter search over the train stage, its study kept in the store's database."""
