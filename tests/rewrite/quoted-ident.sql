SELECT "from", x."Join" FROM "FA" x
JOIN "My ""odd"" table" y ON y."ID" = x."ID"
JOIN dbo."AD" a ON 1 = 1 JOIN [a]]b] c ON 1 = 1
