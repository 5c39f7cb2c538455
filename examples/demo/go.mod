module example.com/demo

go 1.21

require (
	github.com/gin-gonic/gin v1.6.0
	golang.org/x/net v0.7.0
	golang.org/x/crypto v0.14.0
)
