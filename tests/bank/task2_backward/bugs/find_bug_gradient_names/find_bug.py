# bug: names the gradients (dW, db) instead of the parameters as printed
suspects = {"A": "Dense_2.dW", "B": "Dense_3_out.db"}
