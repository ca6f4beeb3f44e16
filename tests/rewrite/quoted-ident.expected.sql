SELECT "from", x."Join" FROM [SERVER1].[POHODA_DB].dbo."FA" x
JOIN [SERVER1].[POHODA_DB].dbo."My ""odd"" table" y ON y."ID" = x."ID"
JOIN [SERVER1].[POHODA_DB].dbo."AD" a ON 1 = 1 JOIN [SERVER1].[POHODA_DB].dbo.[a]]b] c ON 1 = 1
