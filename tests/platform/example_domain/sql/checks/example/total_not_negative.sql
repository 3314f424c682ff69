select * from model_staging.example_totals where total < 0
